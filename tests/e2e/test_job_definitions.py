"""Jobs as data on RabbitMQ, real processes: create → it fires → edit → the next fire at the new time →
restart of every process → still the edited job → delete (its runs stay readable)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import ApiClient
from tests.e2e.harness import ServiceProcess
from tests.e2e.harness import base_env
from tests.e2e.harness import free_port
from tests.e2e.harness import running
from tests.rabbitmq import RabbitMQVhost
from tests.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

JOB = "canary_e2e"
MODULES = ("services.projector", "services.workers", "services.scheduler", "services.api")
CREATE = {
    "id": JOB,
    "kind": "pipeline_canary",
    "trigger": "interval:2",
    "kwargs": {"duration_s": 0, "steps": 1},
    "display_name": "e2e canary",
    "policy": {"overlap": "allow", "max_concurrent": 10},
}


@contextmanager
def system(env: dict[str, str], log_dir: Path, generation: int) -> Iterator[list[ServiceProcess]]:
    processes = [
        ServiceProcess(module, env, log_dir, name=f"{module.rsplit('.', 1)[-1]}-{generation}")
        for module in MODULES
    ]
    with running(processes):
        yield processes


async def client_of(port: int, processes: list[ServiceProcess]) -> ApiClient:
    client = ApiClient(f"http://127.0.0.1:{port}")
    await client.wait_ready(processes)
    await client.login()
    await client.wait_for_job("pipeline_canary")
    return client


async def definition(client: ApiClient) -> dict[str, Any]:
    data: dict[str, Any] = await client.data("GET", f"/api/scheduler/jobs/{JOB}/definition")
    return data


async def scheduled_runs(client: ApiClient) -> list[dict[str, Any]]:
    runs = await client.data("GET", f"/api/scheduler/jobs/{JOB}/executions", params={"limit": 100})
    items = runs["items"] if isinstance(runs, dict) and "items" in runs else runs
    return [run for run in items if not run.get("is_manual")]


async def test_create_fire_edit_restart_delete_on_rabbitmq(
    tmp_path: Path, fresh_rabbitmq_vhost: RabbitMQVhost
) -> None:
    port = free_port()
    env = base_env(
        tmp_path / "data",
        SCHEDULER_PORT=str(port),
        SCHEDULER_BUS="rabbitmq",
        SCHEDULER_RABBITMQ_URL=fresh_rabbitmq_vhost.url,
        SCHEDULER_STORE="sqlite",
        SCHEDULER_TRIGGER_MIN_INTERVAL_S="1",
        SCHEDULER_COMMAND_WAIT_S="10",
    )
    with system(env, tmp_path, 1) as processes:
        client = await client_of(port, processes)
        try:
            created = await client.http.post("/api/scheduler/jobs", json=CREATE)
            assert created.status_code in (201, 202), created.text

            async def fired() -> bool:
                return any(run["status"] == "success" for run in await scheduled_runs(client))

            await wait_until(fired, timeout=60, message="a scheduled run of the created job")
            job = await definition(client)
            assert job["version"] == 1 and job["origin"] == "created" and job["trigger"] == "interval:2"
            changed = await client.http.patch(
                f"/api/scheduler/jobs/{JOB}", json={"trigger": "0 3 * * *"}, headers={"If-Match": '"1"'}
            )
            assert changed.status_code in (200, 202), changed.text

            async def edited() -> bool:
                job = await definition(client)
                return job["version"] == 2 and "T03:00:00" in str(job.get("next_run_time"))

            await wait_until(edited, timeout=30, message="the next fire at the new time")
            stale = await client.http.patch(
                f"/api/scheduler/jobs/{JOB}", json={"trigger": "0 4 * * *"}, headers={"If-Match": '"1"'}
            )
            assert stale.status_code == 412, stale.text
        finally:
            await client.close()

    with system(env, tmp_path, 2) as processes:  # every process restarted
        client = await client_of(port, processes)
        try:
            await client.wait_for_job(JOB)
            job = await definition(client)
            assert job["version"] == 2 and job["trigger"] == "0 3 * * *"
            assert "T03:00:00" in str(job["next_run_time"])
            runs_before = await scheduled_runs(client)
            deleted = await client.http.delete(
                f"/api/scheduler/jobs/{JOB}", params={"cancel_running": "true"}
            )
            assert deleted.status_code in (200, 202), deleted.text

            async def gone() -> bool:
                return (await client.http.get(f"/api/scheduler/jobs/{JOB}")).status_code == 404

            await wait_until(gone, timeout=30, message="the job deleted")
            kept = await client.data("GET", f"/api/scheduler/executions/{runs_before[0]['execution_id']}")
            assert kept["job_id"] == JOB
        finally:
            await client.close()
