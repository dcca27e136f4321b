"""A time trigger that waits for its upstream jobs (`policy.after`), end to end on RabbitMQ (api, scheduler,
projector, worker as processes): a second canary job, created with `POST /jobs`, fires on the clock after
`pipeline_canary` (whose own trigger never fires here). Its fire waits (`waiting`, listed with what it
waits for); it runs once the canary succeeds, caused by the canary's `JobFinished`; it ends `skipped` with
the reason at once when the canary fails."""

from __future__ import annotations

from collections.abc import AsyncIterator
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

pytestmark = pytest.mark.e2e

CANARY = "pipeline_canary"
WAITER = "canary_after"


@pytest.fixture
async def distributed(tmp_path: Path, fresh_rabbitmq_vhost: RabbitMQVhost) -> AsyncIterator[ApiClient]:
    port = free_port()
    env = base_env(
        tmp_path / "data",
        SCHEDULER_PORT=str(port),
        SCHEDULER_BUS="rabbitmq",
        SCHEDULER_RABBITMQ_URL=fresh_rabbitmq_vhost.url,
        SCHEDULER_STORE="sqlite",
        SCHEDULER_CANARY_TRIGGER="0 3 1 1 *",  # never within the test: only the test's runs count
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
            await client.wait_for_job(CANARY)
            body = {
                "id": WAITER,
                "kind": "pipeline_canary",
                "trigger": "interval:10",
                "kwargs": {"duration_s": 0, "steps": 1},
                "policy": {"after": [CANARY], "wait_timeout_s": 600, "overlap": "skip"},
            }
            created = await client.http.post("/api/scheduler/jobs", json=body)
            assert created.status_code in (201, 202), created.text
            yield client
        finally:
            await client.close()


async def waiting_fire(client: ApiClient) -> dict[str, Any]:
    """The waiter's fire listed `waiting` (its first fire comes within its 10 s interval)."""
    found: dict[str, Any] = {}

    async def listed() -> bool:
        page = await client.data(
            "GET", "/api/scheduler/executions", params={"job_id": WAITER, "status": "waiting"}
        )
        found.update(page["items"][0] if page["items"] else {})
        return bool(found)

    await wait_until(listed, timeout=60, interval=0.1, message=f"a fire of {WAITER} to wait")
    return found


async def events_of(client: ApiClient, execution_id: str) -> list[dict[str, Any]]:
    page = await client.data("GET", f"/api/scheduler/executions/{execution_id}/events")
    items: list[dict[str, Any]] = page["items"]
    return items


async def test_a_waiting_fire_runs_when_its_upstream_succeeds(distributed: ApiClient) -> None:
    waiting = await waiting_fire(distributed)
    assert waiting["waiting_for"] == [CANARY] and waiting["wait_until"]
    assert waiting["status_text"]
    upstream = await distributed.trigger(CANARY, duration_s=0, steps=1)
    ran = await distributed.wait_for_execution(waiting["_id"], {"success"}, timeout=60)
    assert ran["waiting_for"] == [CANARY]
    finished = next(
        event for event in await events_of(distributed, upstream) if event["type"] == "JobFinished"
    )
    types = [event["type"] for event in await events_of(distributed, waiting["_id"])]
    assert types[:2] == ["RunWaiting", "RunQueued"]
    queued = next(
        event for event in await events_of(distributed, waiting["_id"]) if event["type"] == "RunQueued"
    )
    assert queued["causation_id"] == finished["message_id"]


async def test_a_waiting_fire_is_skipped_when_its_upstream_fails(distributed: ApiClient) -> None:
    waiting = await waiting_fire(distributed)
    upstream = await distributed.trigger(CANARY, duration_s=0, steps=1, fail=True)
    skipped = await distributed.wait_for_execution(waiting["_id"], {"skipped"}, timeout=60)
    assert skipped["error_message"] == f"upstream_failed: {CANARY} {upstream}"
