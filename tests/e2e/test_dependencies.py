"""Job dependencies end to end on RabbitMQ (api, scheduler, projector, worker as processes):
`market_daily_review` (no network) set to run `after:pipeline_canary`. A canary that succeeds starts it with
the canary's `JobFinished` as its cause; a canary that fails records it `skipped` with the reason."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from domain.scheduling.dependencies import dependency_run_id
from domain.scheduling.dependencies import dependency_skip_id
from tests.e2e.harness import ApiClient
from tests.e2e.harness import ServiceProcess
from tests.e2e.harness import base_env
from tests.e2e.harness import free_port
from tests.e2e.harness import running
from tests.rabbitmq import RabbitMQVhost
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

CANARY = "pipeline_canary"
DOWNSTREAM = "market_daily_review"


@pytest.fixture
async def distributed(tmp_path: Path, fresh_rabbitmq_vhost: RabbitMQVhost) -> AsyncIterator[ApiClient]:
    port = free_port()
    env = base_env(
        tmp_path / "data",
        SCHEDULER_PORT=str(port),
        SCHEDULER_BUS="rabbitmq",
        SCHEDULER_RABBITMQ_URL=fresh_rabbitmq_vhost.url,
        SCHEDULER_STORE="sqlite",
        SCHEDULER_JOBS__MARKET_DAILY_REVIEW__TRIGGER=f"after:{CANARY}",
        SCHEDULER_JOBS__MARKET_DAILY_REVIEW__ENABLED="true",
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
            await client.wait_for_job(DOWNSTREAM)
            yield client
        finally:
            await client.close()


async def events_of(client: ApiClient, execution_id: str) -> list[dict[str, Any]]:
    page = await client.data("GET", f"/api/scheduler/executions/{execution_id}/events")
    items: list[dict[str, Any]] = page["items"]
    return items


async def execution_once_listed(client: ApiClient, execution_id: str, statuses: set[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}

    async def reached() -> bool:
        response = await client.http.get(f"/api/scheduler/executions/{execution_id}")
        if response.status_code != 200:
            return False
        found.update(response.json()["data"])
        return found.get("status") in statuses

    await wait_until(reached, timeout=60, interval=0.05, message=f"{execution_id} to reach {statuses}")
    return found


async def test_a_succeeding_canary_starts_its_downstream_with_its_end_as_cause(
    distributed: ApiClient,
) -> None:
    upstream = await distributed.trigger(CANARY, duration_s=0, steps=1)
    downstream = dependency_run_id(DOWNSTREAM, [upstream])
    await execution_once_listed(distributed, downstream, {"running", "success", "partial", "failed"})
    finished = next(
        event for event in await events_of(distributed, upstream) if event["type"] == "JobFinished"
    )
    first = (await events_of(distributed, downstream))[0]
    assert first["type"] == "RunQueued"
    assert first["causation_id"] == finished["message_id"]
    assert first["correlation_id"] == finished["correlation_id"]
    graph = await distributed.data("GET", "/api/scheduler/dependencies")
    assert {"upstream": CANARY, "downstream": DOWNSTREAM} in graph["edges"]


async def test_a_failing_canary_records_its_downstream_skipped_with_the_reason(
    distributed: ApiClient,
) -> None:
    upstream = await distributed.trigger(CANARY, duration_s=0, steps=1, fail=True)
    skipped = await execution_once_listed(distributed, dependency_skip_id(DOWNSTREAM, upstream), {"skipped"})
    assert f"upstream_failed: {CANARY} {upstream}" in str(skipped)
    page = await distributed.data("GET", "/api/scheduler/executions", params={"job_id": DOWNSTREAM})
    assert [item["status"] for item in page["items"]] == ["skipped"]
