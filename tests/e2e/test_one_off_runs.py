"""One-off runs end to end on RabbitMQ (api, scheduler, projector, worker as processes): a run planned
ahead is listed `scheduled`, then runs at its moment; another, cancelled, never starts; a third is still
run at its moment by a new scheduler process after the first one was killed (its plan comes back from the
read model)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest

from tests.e2e.harness import ApiClient
from tests.e2e.harness import ServiceProcess
from tests.e2e.harness import base_env
from tests.e2e.harness import free_port
from tests.e2e.harness import running
from tests.rabbitmq import RabbitMQVhost

pytestmark = pytest.mark.e2e

CANARY = "pipeline_canary"


async def plan(client: ApiClient, run_at: datetime) -> str:
    body = {"run_at": run_at.isoformat(), "kwargs": {"duration_s": 0}}
    data = await client.data("POST", f"/api/scheduler/jobs/{CANARY}/trigger", json=body)
    assert datetime.fromisoformat(data["scheduled_time"]) == run_at
    execution_id: str = data["execution_id"]
    return execution_id


async def test_one_off_runs_on_rabbitmq(tmp_path: Path, fresh_rabbitmq_vhost: RabbitMQVhost) -> None:
    port = free_port()
    env = base_env(
        tmp_path / "data",
        SCHEDULER_PORT=str(port),
        SCHEDULER_BUS="rabbitmq",
        SCHEDULER_RABBITMQ_URL=fresh_rabbitmq_vhost.url,
        SCHEDULER_STORE="sqlite",
        SCHEDULER_LEADER_RETRY_S="0.5",
    )
    scheduler = ServiceProcess("services.scheduler", env, tmp_path, name="scheduler-1")
    processes = [
        ServiceProcess("services.projector", env, tmp_path),
        ServiceProcess("services.workers", env, tmp_path),
        scheduler,
        ServiceProcess("services.api", env, tmp_path),
    ]
    client = ApiClient(f"http://127.0.0.1:{port}")
    with running(processes):
        try:
            await client.wait_ready(processes)
            await client.login()
            await client.wait_for_job(CANARY)
            start = datetime.now(UTC).replace(microsecond=0)
            kept = await plan(client, start + timedelta(seconds=6))
            dropped = await plan(client, start + timedelta(seconds=5))
            listed = await client.wait_for_execution(kept, {"scheduled"})
            assert listed["is_manual"] is True and listed.get("started_at") is None
            await client.data("POST", f"/api/scheduler/executions/{dropped}/cancel")
            cancelled = await client.wait_for_execution(dropped, {"cancelled"})
            done = await client.wait_for_execution(kept, {"success", "failed"}, timeout=60)
            assert done["status"] == "success", done
            assert datetime.fromisoformat(done["started_at"]) >= start + timedelta(seconds=6)
            cancelled = await client.wait_for_execution(dropped, {"cancelled"})
            assert cancelled.get("started_at") is None, "a cancelled one-off run never starts"

            after_restart = await plan(
                client, datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=8)
            )
            await client.wait_for_execution(after_restart, {"scheduled"})
            scheduler.kill()
            successor = ServiceProcess("services.scheduler", env, tmp_path, name="scheduler-2")
            processes.append(successor)
            ran = await client.wait_for_execution(after_restart, {"success", "failed"}, timeout=90)
            assert ran["status"] == "success", ran
            events = await client.data(
                "GET", "/api/scheduler/events", params={"execution_id": after_restart, "limit": 100}
            )
            types = [event["type"] for event in events["items"]]
            assert types.count("RunQueued") == 1 and types.count("JobStarted") == 1, types
        finally:
            await client.close()
