"""The overview's statistics in one answer.

Outcome counts per hour and per day, duration percentiles per job and the newest run of each job, all
aggregated by the store over the windows the console labels them with.
"""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import Literal
from zoneinfo import ZoneInfo

from infrastructure.store.port import ExecutionsReadModel
from services.api.schemas import ExecutionSummary
from services.api.schemas import JobDurationSummary
from services.api.schemas import OutcomeSeries
from services.api.schemas import OutcomeWindow
from services.api.summary_windows import day_boundaries
from services.api.summary_windows import hour_boundaries
from services.api.views import execution_out
from services.api.views import iso


async def _series(
    store: ExecutionsReadModel, unit: Literal["hour", "day"], boundaries: list[datetime], zone: ZoneInfo
) -> OutcomeSeries:
    counts = await store.execution_counts(boundaries)
    windows = [
        OutcomeWindow(
            start=iso(start, zone) or "",
            end=iso(end, zone) or "",
            counts=by_status,
            total=sum(by_status.values()),
        )
        for (start, end), by_status in zip(pairwise(boundaries), counts, strict=True)
    ]
    return OutcomeSeries(
        unit=unit,
        since=iso(boundaries[0], zone) or "",
        until=iso(boundaries[-1], zone) or "",
        windows=windows,
    )


async def execution_summary(store: ExecutionsReadModel, zone: ZoneInfo, now: datetime) -> ExecutionSummary:
    """The overview's statistics at `now`: outcomes per hour and per day, durations, last runs."""
    hours, days = hour_boundaries(now, zone), day_boundaries(now, zone)
    durations = await store.job_durations(days[0], days[-1])
    last_runs = await store.last_executions()
    return ExecutionSummary(
        hourly=await _series(store, "hour", hours, zone),
        daily=await _series(store, "day", days, zone),
        durations_since=iso(days[0], zone) or "",
        durations_until=iso(days[-1], zone) or "",
        durations=[
            JobDurationSummary(
                job_id=entry.job_id,
                runs=entry.runs,
                p50=round(entry.p50, 3),
                p90=round(entry.p90, 3),
                p95=round(entry.p95, 3),
                max=round(entry.longest, 3),
                mean=round(entry.mean, 3),
            )
            for entry in durations
        ],
        last_runs=[execution_out(record, zone) for _, record in sorted(last_runs.items())],
        queued=await store.count_executions("queued"),
        running=await store.count_executions("running"),
    )
