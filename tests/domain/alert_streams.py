"""Events for the alert tests: a job registered, runs that fail or succeed, a missed fire."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from contracts.events import ExecutionMarkedFailed, JobFinished, JobMissed, JobRegistered

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
JOB = "pipeline_canary"
_ids = itertools.count(1)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def registered(job_id: str = JOB, seconds: float = 0, name: str = "流水线自检") -> JobRegistered:
    return JobRegistered(
        producer="scheduler:s1", occurred_at=at(seconds), job_id=job_id, name=name,
        job_kind="pipeline_canary", trigger="interval[0:05:00]", paused=False,
    )  # fmt: skip


def finished(
    status: str, seconds: float, job_id: str = JOB, execution_id: str | None = None, error: str = "boom"
) -> JobFinished:
    return JobFinished(
        producer="worker:w1", occurred_at=at(seconds), job_id=job_id,
        execution_id=execution_id or f"e{next(_ids)}", sequence=2, status=status,
        started_at=at(seconds - 1), finished_at=at(seconds),
        error_message=error if status == "failed" else None,
    )  # fmt: skip


def missed(seconds: float, job_id: str = JOB) -> JobMissed:
    return JobMissed(
        producer="scheduler:s1", occurred_at=at(seconds), job_id=job_id, execution_id=f"e{next(_ids)}",
        job_name=job_id, scheduled_time=at(seconds - 400), reason="400 s late (grace 300 s)",
    )  # fmt: skip


def lost(seconds: float, execution_id: str, job_id: str = JOB) -> ExecutionMarkedFailed:
    return ExecutionMarkedFailed(
        producer="scheduler:s1", occurred_at=at(seconds), job_id=job_id, execution_id=execution_id,
        actor=None, reason="worker lost",
    )  # fmt: skip
