"""The foundation slice end to end, through the HTTP API, in both run modes.

Embedded: one `python -m services.embedded` process (in-process bus, SQLite file).
Distributed: api, scheduler, projector and a worker as four processes, real RabbitMQ (a virtual host of
this test session), one SQLite file shared between them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.harness import ApiClient, ServiceProcess, base_env, free_port, running
from tests.rabbitmq import RabbitMQVhost

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
    assert canary["paused"] is True and canary["next_run_time"] is None

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


async def test_the_slice_in_the_embedded_mode(embedded: ApiClient) -> None:
    await check_the_slice(embedded)


@pytest.mark.integration
async def test_the_slice_in_the_distributed_mode(distributed: ApiClient) -> None:
    await check_the_slice(distributed)
