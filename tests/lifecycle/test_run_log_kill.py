"""Each run's own log on real processes and RabbitMQ: the lines a worker shipped before it was killed
(`kill -9`) are kept, in order and without a gap, and the API pages them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.harness import ApiClient
from tests.lifecycle.conftest import Cluster
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

CANARY = "pipeline_canary"


async def log_page(api: ApiClient, execution_id: str, **params: Any) -> dict[str, Any]:
    page: dict[str, Any] = await api.data(
        "GET", f"/api/scheduler/executions/{execution_id}/logs", params={"limit": 1000, **params}
    )
    return page


async def test_lines_shipped_before_a_worker_is_killed_are_kept(cluster: Cluster, api: ApiClient) -> None:
    cluster.start("services.projector", "projector")
    cluster.start("services.scheduler", "scheduler")
    doomed = cluster.start("services.workers", "worker-doomed", SCHEDULER_WORKER_CAPACITY="1")
    await api.wait_for_job(CANARY)
    # One line per step, ten a second, for longer than the test waits.
    execution_id = await api.trigger(CANARY, duration_s=60, steps=600)

    async def some_lines() -> bool:
        return int((await log_page(api, execution_id))["total"]) >= 15

    await wait_until(some_lines, timeout=30, message="lines of the running canary stored")
    doomed.kill()
    seen_at_kill = int((await log_page(api, execution_id))["total"])

    totals: list[int] = []

    async def settled() -> bool:  # what was on the broker is stored: two polls a second apart agree
        totals.append(int((await log_page(api, execution_id))["total"]))
        return len(totals) >= 2 and totals[-1] == totals[-2]

    await wait_until(settled, timeout=20, interval=1.0)
    page = await log_page(api, execution_id)
    kept = page["items"]
    assert len(kept) >= seen_at_kill >= 15
    assert [line["sequence"] for line in kept] == list(range(1, len(kept) + 1)), "in order, no gap"
    assert [line["message"] for line in kept[:2]] == ["canary step 1/600", "canary step 2/600"]
    assert all(line["level"] == "INFO" and line["attempt"] == 1 for line in kept)
    warnings_only = await log_page(api, execution_id, level="WARNING")
    assert warnings_only["total"] == 0
