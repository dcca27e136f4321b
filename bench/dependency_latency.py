"""(13) dependency latency: from an upstream run's `JobFinished` to its downstream's `JobStarted`.

Distributed stack (api, scheduler, projector, one worker on RabbitMQ). `market_daily_review` (no network)
runs `after:pipeline_canary`; each sample triggers the canary (no work), computes the downstream's
deterministic execution id, waits for the downstream to end, and reads both timelines through the API:
the figure is the downstream `JobStarted.started_at` minus the canary's `JobFinished.finished_at` (both
worker clocks of one machine). Samples run one after the other, so the downstream never overlaps itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bench.environment import Api
from bench.environment import BenchError
from bench.environment import fresh_dir
from bench.environment import one_worker_stack
from bench.environment import wait_for
from bench.figures import percentile
from bench.plan import BenchRun
from domain.scheduling.dependencies import dependency_run_id

GROUP = "14 dependencies (upstream end → downstream start)"
DOWNSTREAM = "market_daily_review"
ENDED = ("success", "partial", "failed", "skipped", "missed", "cancelled")


async def _events(api: Api, execution_id: str) -> list[dict[str, Any]]:
    response = await api.http.get(f"/api/scheduler/executions/{execution_id}/events", headers=api.auth)
    if response.status_code == 404:
        return []
    items: list[dict[str, Any]] = response.json()["data"]["items"]
    return items


def _moment(events: list[dict[str, Any]], kind: str, field: str) -> datetime | None:
    for event in events:
        if event["type"] == kind:
            return datetime.fromisoformat(event[field])
    return None


async def one_sample(api: Api) -> float:
    """Milliseconds from the canary's end to the downstream's start."""
    upstream = await api.trigger_canary(duration_s=0, steps=1)
    downstream = dependency_run_id(DOWNSTREAM, [upstream])

    async def downstream_ended() -> bool:
        return any(event["type"] in ("JobFinished", "JobSkipped") for event in await _events(api, downstream))

    await wait_for(downstream_ended, timeout=60, interval=0.05, what=f"{DOWNSTREAM} after {upstream}")
    finished = _moment(await _events(api, upstream), "JobFinished", "finished_at")
    started = _moment(await _events(api, downstream), "JobStarted", "started_at")
    if finished is None or started is None:
        raise BenchError(f"{DOWNSTREAM} did not start after {upstream} (skipped?)")
    return (started - finished).total_seconds() * 1000


async def measure_dependencies(run: BenchRun) -> None:
    run.results.figure("dependencies.p50", GROUP, "upstream JobFinished → downstream JobStarted p50", "ms")
    run.results.figure("dependencies.p99", GROUP, "upstream JobFinished → downstream JobStarted p99", "ms")
    data_dir = fresh_dir(run.work_dir, "dependencies")
    overrides = {
        "SCHEDULER_JOBS__MARKET_DAILY_REVIEW__TRIGGER": "after:pipeline_canary",
        "SCHEDULER_JOBS__MARKET_DAILY_REVIEW__ENABLED": "true",
    }
    async with one_worker_stack(data_dir, "dependencies", **overrides) as api:
        for repetition in range(run.plan.repetitions):
            values = [await one_sample(api) for _ in range(max(1, run.plan.latency_samples // 4))]
            run.results.add("dependencies.p50", percentile(values, 0.5))
            run.results.add("dependencies.p99", percentile(values, 0.99))
            run.results.distribution("dependencies", values)
            run.log(
                f"dependencies #{repetition + 1}: p50 {percentile(values, 0.5):.1f} ms, "
                f"p99 {percentile(values, 0.99):.1f} ms over {len(values)} runs"
            )
    run.note(
        "dependencies: market_daily_review after:pipeline_canary on the distributed stack, sequential "
        "samples; downstream JobStarted.started_at minus upstream JobFinished.finished_at"
    )
