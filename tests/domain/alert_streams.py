"""Events for the alert tests: a job registered, runs that fail or succeed, a missed fire."""

from __future__ import annotations

import itertools
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from contracts.events import CommandRejected
from contracts.events import ExecutionMarkedFailed
from contracts.events import JobFinished
from contracts.events import JobMissed
from contracts.events import JobRegistered
from contracts.events import JobStarted
from contracts.events import SchedulerHeartbeat

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


def started(seconds: float, execution_id: str, job_id: str = JOB) -> JobStarted:
    return JobStarted(
        producer="worker:w1", occurred_at=at(seconds), job_id=job_id, execution_id=execution_id, sequence=1,
        job_name=job_id, worker_id="w1", started_at=at(seconds), scheduled_time=at(seconds),
    )  # fmt: skip


def ran(seconds: float, duration_s: float, status: str = "success", job_id: str = JOB) -> JobFinished:
    """A run of `duration_s` that ended at `seconds`."""
    return JobFinished(
        producer="worker:w1", occurred_at=at(seconds), job_id=job_id, execution_id=f"e{next(_ids)}",
        sequence=2, status=status, started_at=at(seconds - duration_s), finished_at=at(seconds),
        error_message="3 of 10 symbols not synced" if status == "partial" else None,
    )  # fmt: skip


def leader_heartbeat(seconds: float, active: bool = True) -> SchedulerHeartbeat:
    return SchedulerHeartbeat(
        producer="scheduler:s1", occurred_at=at(seconds), scheduler_id="s1", state=1, total_jobs=5,
        paused_jobs=0, interval_s=5.0, active=active,
    )  # fmt: skip


def rejected(seconds: float) -> CommandRejected:
    return CommandRejected(
        producer="scheduler:s1", occurred_at=at(seconds), command_type="PauseJob", command_id="c1",
        actor="admin", job_id="nope", reason="unknown job nope",
    )  # fmt: skip
