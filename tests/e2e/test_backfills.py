"""Backfills end to end on RabbitMQ (api, scheduler, projector, worker as processes): a five-day canary
backfill runs each trading day once with its day (listed with its runs); another, cancelled midway, starts
no more days and ends `cancelled`."""

from __future__ import annotations

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
FIVE_DAYS = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08"]


async def backfill(client: ApiClient, body: dict[str, Any]) -> str:
    response = await client.http.post(f"/api/scheduler/jobs/{CANARY}/backfill", json=body)
    assert response.status_code in (201, 202), response.text  # 202: accepted, not listed yet
    data = response.json()["data"]
    if data is None:
        page = await client.data("GET", "/api/scheduler/backfills", params={"limit": 1})
        data = page["backfills"][0]
    backfill_id: str = data["backfill_id"]
    return backfill_id


async def wait_for_backfill(
    client: ApiClient, backfill_id: str, statuses: set[str], timeout: float = 60
) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    async def reached() -> bool:
        seen.update(await client.data("GET", f"/api/scheduler/backfills/{backfill_id}"))
        return seen["status"] in statuses

    await wait_until(
        reached, timeout=timeout, interval=0.1, message=f"backfill {backfill_id} to reach {statuses}"
    )
    return seen


async def test_backfills_on_rabbitmq(tmp_path: Path, fresh_rabbitmq_vhost: RabbitMQVhost) -> None:
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
    client = ApiClient(f"http://127.0.0.1:{port}")
    with running(processes):
        try:
            await client.wait_ready(processes)
            await client.login()
            await client.wait_for_job(CANARY)
            body = {
                "start_date": "2024-01-01",
                "end_date": "2024-01-08",
                "max_parallel": 2,
                "kwargs": {"duration_s": 0},
            }
            done_id = await backfill(client, body)
            done = await wait_for_backfill(client, done_id, {"finished", "cancelled"})
            assert (done["status"], done["total"], done["done"], done["failed"]) == ("finished", 5, 5, 0), (
                done
            )
            assert [run["day"] for run in done["runs"]] == FIVE_DAYS
            for run in done["runs"]:
                execution = await client.wait_for_execution(run["execution_id"], {"success"})
                assert execution["kwargs"]["trade_date"] == run["day"]
                assert execution["return_value"]["trade_date"] == run["day"]
                events = await client.data(
                    "GET", "/api/scheduler/events", params={"execution_id": run["execution_id"], "limit": 100}
                )
                assert [event["type"] for event in events["items"]].count("RunQueued") == 1

            slow = {**body, "max_parallel": 1, "kwargs": {"duration_s": 3, "steps": 3}}
            cancelled_id = await backfill(client, slow)
            first = await wait_for_backfill(client, cancelled_id, {"running"})
            await client.wait_for_execution(first["runs"][0]["execution_id"], {"running"})
            await client.data("POST", f"/api/scheduler/backfills/{cancelled_id}/cancel")
            ended = await wait_for_backfill(client, cancelled_id, {"finished", "cancelled"})
            assert ended["status"] == "cancelled", ended
            assert ended["runs"][0]["status"] == "cancelled"
            assert all(run["status"] == "pending" for run in ended["runs"][1:]), ended["runs"]
            assert (ended["done"], ended["cancelled"], ended["running"]) == (0, 5, 0)
            listed = await client.data("GET", "/api/scheduler/backfills")
            assert {item["backfill_id"] for item in listed["backfills"]} == {done_id, cancelled_id}
        finally:
            await client.close()
