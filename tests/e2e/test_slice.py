"""The foundation slice end to end, through the HTTP API, in both run modes.

Embedded: one `python -m services.embedded` process (in-process bus, SQLite file).
Distributed: api, scheduler, projector and a worker as four processes, real RabbitMQ (a virtual host of
this test session), one SQLite file shared between them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from domain.records import JobRecord
from infrastructure.store.sqlite_store import SQLiteStore
from tests.e2e.harness import ApiClient
from tests.e2e.harness import ServiceProcess
from tests.e2e.harness import base_env
from tests.e2e.harness import free_port
from tests.e2e.harness import running
from tests.rabbitmq import RabbitMQVhost
from tests.store_writes import put_job
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
async def embedded(tmp_path: Path) -> AsyncIterator[ApiClient]:
    port = free_port()
    env = base_env(tmp_path / "data", SCHEDULER_PORT=str(port))
    with running([ServiceProcess("services.embedded", env, tmp_path)]) as processes:
        client = ApiClient(f"http://127.0.0.1:{port}")
        try:
            await client.wait_ready(processes)
            await client.login()
            yield client
        finally:
            await client.close()


@pytest.fixture
async def distributed(tmp_path: Path, fresh_rabbitmq_vhost: RabbitMQVhost) -> AsyncIterator[ApiClient]:
    port = free_port()
    env = base_env(
        tmp_path / "data",
        SCHEDULER_PORT=str(port),
        SCHEDULER_BUS="rabbitmq",
        SCHEDULER_RABBITMQ_URL=fresh_rabbitmq_vhost.url,
        SCHEDULER_STORE="sqlite",
        SCHEDULER_PROJECTOR_STATE_INTERVAL_S="0.5",
    )
    processes = [
        ServiceProcess("services.projector", env, tmp_path),
        ServiceProcess("services.workers", env, tmp_path),
        ServiceProcess("services.scheduler", env, tmp_path),
        ServiceProcess("services.api", env, tmp_path),
    ]
    with running(processes):
        client = ApiClient(f"http://127.0.0.1:{port}")
        try:
            await client.wait_ready(processes)
            await client.login()
            yield client
        finally:
            await client.close()


async def check_the_slice(client: ApiClient) -> None:
    canary = await client.wait_for_job("pipeline_canary")
    assert canary["paused"] is True and "next_run_time" not in canary

    execution_id = await client.trigger("pipeline_canary", duration_s=0.5, steps=5)
    running_or_done = await client.wait_for_execution(execution_id, {"running", "success"})
    assert running_or_done["is_manual"] is True
    done = await client.wait_for_execution(execution_id, {"success", "failed"})
    assert done["status"] == "success", done
    assert done["progress"] == 100 and done["processed_items"] == 5
    assert done["execution_time"] is not None and done["execution_time"] >= 0.4
    assert done["timestamp"].endswith("+08:00"), "datetimes carry the display timezone's offset"

    failing_id = await client.trigger("pipeline_canary", duration_s=0, fail=True)
    failed = await client.wait_for_execution(failing_id, {"success", "failed"})
    assert failed["status"] == "failed"
    assert "failed on purpose" in failed["error_message"]

    job = await client.data("GET", "/api/scheduler/jobs/pipeline_canary")
    assert job["paused"] is True, "a manual trigger leaves a paused job paused"

    # Health carries the projection lag the running projector reports (null only before it reports).
    health: dict[str, Any] = {}

    async def lag_reported() -> bool:
        health.update(await client.data("GET", "/api/scheduler/health"))
        return health["projector_lag_s"] is not None

    await wait_until(lag_reported, timeout=15, interval=0.2, message="projector_lag_s stays null")
    assert health["projector_lag_s"] >= 0 and health["status"] in {"healthy", "degraded"}


async def test_the_slice_in_the_embedded_mode(embedded: ApiClient) -> None:
    await check_the_slice(embedded)


@pytest.mark.integration
async def test_the_slice_in_the_distributed_mode(distributed: ApiClient) -> None:
    await check_the_slice(distributed)


async def test_with_the_broker_down_the_api_serves_reads_and_answers_503_to_commands(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "data" / "scheduler.sqlite3")
    await store.open()
    now = datetime.now(UTC)
    await put_job(
        store,
        JobRecord(
            job_id="pipeline_canary",
            name="canary",
            job_kind="pipeline_canary",
            trigger="interval[0:05:00]",
            paused=True,
            registered_at=now,
            updated_at=now,
        ),
    )
    await store.close()
    port = free_port()
    env = base_env(
        tmp_path / "data",
        SCHEDULER_PORT=str(port),
        SCHEDULER_BUS="rabbitmq",
        SCHEDULER_RABBITMQ_URL=f"amqp://guest:guest@127.0.0.1:{free_port()}/",  # nothing listens there
    )
    with running([ServiceProcess("services.api", env, tmp_path)]) as processes:
        client = ApiClient(f"http://127.0.0.1:{port}")
        try:
            await client.wait_ready(processes)
            await client.login()
            (job,) = await client.data("GET", "/api/scheduler/jobs")
            assert job["id"] == "pipeline_canary"
            response = await client.http.post("/api/scheduler/jobs/pipeline_canary/trigger")
            assert response.status_code == 503, response.text
            ready = await client.http.get("/readyz")
            assert ready.status_code == 503
        finally:
            await client.close()
        assert "broker unreachable, retrying" in processes[0].output()
