"""Deterministic data sets: event streams (throughput, replay) and stored executions (read path).

Everything comes from `random.Random(seed)` and fixed base times, so two runs with the same seed produce
the same messages byte for byte (message ids included).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from contracts.envelope import Event
from contracts.events import JobFinished
from contracts.events import JobRegistered
from contracts.events import JobStarted
from contracts.events import Progress
from contracts.events import RunQueued
from domain.records import ExecutionRecord

BASE_TIME = datetime(2026, 1, 5, 1, 30, tzinfo=UTC)
JOB_IDS = tuple(
    ["pipeline_canary"]
    + [f"{source}_{kind}" for source in ("tushare", "akshare", "baostock") for kind in (
        "stock_basic", "daily_quotes", "adj_factor", "daily_basic", "financials", "trade_calendar",
        "realtime_quotes", "news", "historical_sync",
    )]
)  # fmt: skip
STATUS_WEIGHTS = {"success": 86, "failed": 7, "missed": 3, "cancelled": 2, "skipped": 2}
EVENTS_PER_EXECUTION = 4  # RunQueued, JobStarted, Progress, JobFinished


def _hex_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def execution_events(count: int, seed: int) -> list[Event]:
    """`count` events: one `JobRegistered` per job, then executions of 4 events each (queued, started,
    one progress report, finished), the way a zero-duration canary run reports itself."""
    rng = random.Random(seed)
    events: list[Event] = []
    for job_id in JOB_IDS[: max(0, min(len(JOB_IDS), count))]:
        events.append(
            JobRegistered(
                message_id=_hex_id(rng),
                occurred_at=BASE_TIME,
                producer="scheduler:bench",
                job_id=job_id,
                name=job_id.replace("_", " "),
                job_kind=job_id,
                trigger="interval[0:05:00]",
                paused=False,
            )
        )
    moment = BASE_TIME
    while len(events) < count:
        moment += timedelta(milliseconds=rng.randint(1, 40))
        events.extend(_one_execution(rng, moment)[: count - len(events)])
    return events


def _one_execution(rng: random.Random, moment: datetime) -> list[Event]:
    job_id = rng.choice(JOB_IDS)
    failed = rng.random() < 0.08
    execution = {
        "producer": "worker:bench",
        "correlation_id": _hex_id(rng),
        "job_id": job_id,
        "execution_id": _hex_id(rng),
    }
    started = moment + timedelta(milliseconds=2)
    finished = started + timedelta(milliseconds=rng.randint(1, 500))
    return [
        RunQueued(
            **{**execution, "producer": "scheduler:bench"},
            message_id=_hex_id(rng),
            occurred_at=moment,
            job_name=job_id,
            scheduled_time=moment,
            kwargs={"duration_s": 0},
        ),
        JobStarted(
            **execution,
            message_id=_hex_id(rng),
            occurred_at=started,
            sequence=1,
            job_name=job_id,
            worker_id="bench-worker",
            started_at=started,
            scheduled_time=moment,
        ),
        Progress(
            **execution,
            message_id=_hex_id(rng),
            occurred_at=started + timedelta(milliseconds=1),
            sequence=2,
            progress=100.0,
            message="step 1/1",
            current_item="step-1",
            total_items=1,
            processed_items=1,
        ),
        JobFinished(
            **execution,
            message_id=_hex_id(rng),
            occurred_at=finished,
            sequence=3,
            status="failed" if failed else "success",
            started_at=started,
            finished_at=finished,
            return_value=None if failed else {"rows": rng.randint(0, 5000)},
            error_message="ProviderError: upstream answered 502" if failed else None,
        ),
    ]


def execution_records(count: int, seed: int) -> Iterator[ExecutionRecord]:
    """`count` finished executions over ~6 days before BASE_TIME + 6 days, oldest first.

    Only terminal statuses: an embedded server started on the data set must find no queued or running
    execution to watch (it would declare them lost and rewrite them while the read path is measured)."""
    rng = random.Random(seed)
    statuses = list(STATUS_WEIGHTS)
    weights = list(STATUS_WEIGHTS.values())
    step_ms = max(1, int(6 * 24 * 3600 * 1000 / max(count, 1)))
    moment = BASE_TIME
    for _ in range(count):
        moment += timedelta(milliseconds=rng.randint(1, 2 * step_ms))
        job_id = rng.choice(JOB_IDS)
        status = rng.choices(statuses, weights)[0]
        ran = status in ("success", "failed", "cancelled")
        duration = round(rng.uniform(0.05, 120.0), 3) if ran else None
        started = moment + timedelta(milliseconds=rng.randint(1, 50)) if ran else None
        finished = started + timedelta(seconds=duration) if started and duration else None
        yield ExecutionRecord(
            execution_id=_hex_id(rng),
            job_id=job_id,
            job_name=job_id.replace("_", " "),
            status=status,
            scheduled_time=moment,
            timestamp=moment,
            started_at=started,
            finished_at=finished,
            execution_time=duration,
            return_value={"rows": rng.randint(0, 5000)} if status == "success" else None,
            error_message="ProviderError: upstream answered 502" if status == "failed" else None,
            progress=100.0 if status == "success" else None,
            updated_at=finished or moment,
            is_manual=rng.random() < 0.05,
            worker_id="bench-worker" if ran else None,
            last_sequence=3 if ran else 0,
        )
