"""Dependency progress, as the leader folds it.

How each job's latest execution ended, and when each job last ran. The decider
(`domain.scheduling.dependencies`) reads both to run or skip downstream jobs.

A run counts from its `RunJob` (folded once the bus confirmed it), not its `RunQueued` (folded before, and
forgotten if publishing fails). Both are rebuildable from the read model (`rebuilt_progress`): an end's time
is the one the execution record keeps (`finished_at`), a run's time when it was sent (`record_run`), so a new
leader decides as the old one.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

from contracts.envelope import Message
from contracts.events import ExecutionMarkedFailed
from contracts.events import JobFinished
from contracts.events import JobMissed
from contracts.events import JobSkipped
from contracts.events import QueuedRunCancelled
from contracts.events import RunQueued
from contracts.runs import RunJob
from domain.records import ExecutionRecord
from domain.scheduling.bounded import remembered
from domain.scheduling.date_range import DayRange
from domain.scheduling.date_range import range_of

UPSTREAM_REASON_PREFIX = "upstream_failed: "
REMEMBERED_JOBS = 10_000
"""How many jobs the progress remembers (the catalogue is far smaller; a bound on what comes from outside)."""


@dataclass(frozen=True)
class UpstreamEnd:
    """How one execution of a job ended.

    Its status, when (the record's `finished_at`), the envelope fields a downstream run caused by it
    carries (`correlation_id`, `causation_id`; empty when rebuilt), and the days the run worked on (`days`,
    from its kwargs: a backfill's day; None for a run on today's data).
    """

    execution_id: str
    status: str
    at: datetime
    cause: Mapping[str, Any] = field(default_factory=dict)
    days: DayRange | None = None


@dataclass(frozen=True)
class DependencyProgress:
    """Per job: its latest end (`ends`) and the time of its latest run (`last_runs`)."""

    ends: Mapping[str, UpstreamEnd] = field(default_factory=dict)
    last_runs: Mapping[str, datetime] = field(default_factory=dict)


def end_of(message: Message, kwargs: Mapping[str, Any] | None = None) -> tuple[str, UpstreamEnd] | None:
    """(job id, end) when the message ends an execution in a way a downstream job must follow.

    `kwargs`: those the ended run was queued with (its days), when the caller knows them.
    """
    days = range_of(kwargs or {})
    match message:
        case JobFinished():
            return message.job_id, _end(message, message.status, message.finished_at, days)
        case ExecutionMarkedFailed():
            return message.job_id, _end(message, "failed", message.occurred_at, days)
        case QueuedRunCancelled():
            return message.job_id, _end(message, "cancelled", message.occurred_at, days)
        case JobMissed():
            return message.job_id, _end(message, "missed", message.occurred_at, days)
        case JobSkipped() if message.reason.startswith(UPSTREAM_REASON_PREFIX):
            return message.job_id, _end(message, "skipped", message.occurred_at, days)
    return None


def _end(message: JobFinished | ExecutionMarkedFailed | QueuedRunCancelled | JobMissed | JobSkipped,
         status: str, at: datetime, days: DayRange | None) -> UpstreamEnd:  # fmt: skip
    cause = {"correlation_id": message.correlation_id, "causation_id": message.message_id}
    return UpstreamEnd(message.execution_id, status, at, cause, days)


def tracked(
    progress: DependencyProgress, message: Message, kwargs: Mapping[str, Any] | None = None
) -> DependencyProgress:
    """The progress with one message folded in (`kwargs`: those of the run it ends, when known).

    Duplicates and any order: the newest end and run win; an execution's first end stays its end.
    """
    if isinstance(message, RunJob):  # published once confirmed, never forgotten: the run is on its way
        return ran(progress, message.job_id, run_time(message))
    ended = end_of(message, kwargs)
    if ended is None:
        return progress
    job_id, end = ended
    known = progress.ends.get(job_id)
    if known is not None and (known.execution_id == end.execution_id or known.at > end.at):
        return progress
    return DependencyProgress(_bounded(progress.ends, job_id, end), progress.last_runs)


def ran(progress: DependencyProgress, job_id: str, at: datetime) -> DependencyProgress:
    """The progress with a run of `job_id` at `at` (the newest run wins)."""
    last = progress.last_runs.get(job_id)
    if last is not None and last >= at:
        return progress
    return DependencyProgress(progress.ends, _bounded(progress.last_runs, job_id, at))


def run_time(run: RunJob | RunQueued) -> datetime:
    """When a run counts as run for its downstream's window.

    When its first attempt was sent (a fire that waited for its upstream jobs is sent after its scheduled
    time: the ends it waited for are used up); its `RunJob`, or the `RunQueued` sent with it.
    """
    if run.attempt > 1:
        return run.scheduled_time
    return max(run.scheduled_time, run.occurred_at)


def _bounded(mapping: Mapping[str, Any], key: str, value: Any) -> dict[str, Any]:
    return remembered(mapping, key, value, REMEMBERED_JOBS)


_RECORD_ENDS = frozenset({"success", "partial", "failed", "missed", "cancelled"})


def record_end(record: ExecutionRecord) -> UpstreamEnd | None:
    """The end a stored execution stands for, as `end_of` would have read its last event."""
    upstream_skip = record.status == "skipped" and (record.error_message or "").startswith(
        UPSTREAM_REASON_PREFIX
    )
    if (record.status not in _RECORD_ENDS and not upstream_skip) or record.finished_at is None:
        return None
    return UpstreamEnd(record.execution_id, record.status, record.finished_at, days=range_of(record.kwargs))


def record_run(record: ExecutionRecord) -> datetime | None:
    """When a stored execution ran, as `run_time` dated it; None when it did not run or has not yet.

    When its first attempt was sent: its scheduled time, or later its record's first event (the `RunQueued`
    that sent it) when it was sent late: a fire released by its upstream jobs' successes though its
    `RunWaiting` was never published (the bus away), a catch-up fire run at once on successes that ended
    after its instant. A fire whose `RunWaiting` is stored (`waiting_for`) starts at its fire: it ran no
    earlier than its start (or the record's last change). Missed and skipped runs did not run; a fire
    waiting for its upstream jobs has not yet.
    """
    if record.status in ("missed", "skipped", "waiting"):
        return None
    if record.waiting_for is not None:  # released after its fire: as `run_time`, no earlier than that
        return record.started_at or record.updated_at
    if record.scheduled_time is None:
        return record.timestamp
    return max(record.scheduled_time, record.timestamp)


def rebuilt_progress(records_by_job: Mapping[str, Iterable[ExecutionRecord]]) -> DependencyProgress:
    """The progress a new leader starts from: per job, its recent executions (any order)."""
    progress = DependencyProgress()
    for job_id, records in records_by_job.items():
        ends: list[UpstreamEnd] = []
        runs: list[datetime] = []
        for record in records:
            end, run = record_end(record), record_run(record)
            ends.extend([end] if end is not None else [])
            runs.extend([run] if run is not None else [])
        latest_end = max(ends, key=lambda item: item.at, default=None)
        progress = DependencyProgress(
            _bounded(progress.ends, job_id, latest_end) if latest_end is not None else progress.ends,
            _bounded(progress.last_runs, job_id, max(runs)) if runs else progress.last_runs,
        )
    return progress
