"""How execution events build an `ExecutionRecord`: a pure function with guards.

The record is a handful of registers, each merged the same way whatever order its events arrive in, and
display fields derived from them (`_derive`). So redelivery and reordering change nothing:
- a duplicate changes nothing;
- the attempt-specific fields (worker, start, progress, a failed attempt's retry) follow the newest attempt
  seen; within an attempt, progress follows the highest sequence number;
- the end of a run is the first terminal fact by time (a worker's `JobFinished` at `finished_at`, an
  `ExecutionMarkedFailed`, `JobMissed` or `JobSkipped` when it happened); once ended, a run is never reopened:
  a late `JobStarted` or `Progress` may fill in what it reports, never the status;
- the first cancel request (by time) is the one shown; a queued run cancelled before it started
  (`QueuedRunCancelled`) ends `cancelled` like a worker's end would;
- a deleted execution leaves a tombstone: nothing brings it back.
"""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from typing import Any

from contracts.envelope import ExecutionEvent
from contracts.envelope import to_millisecond
from contracts.events import TERMINAL_STATUSES
from contracts.events import AttemptFailed
from contracts.events import CancelRequested
from contracts.events import ExecutionDeleted
from contracts.events import ExecutionMarkedFailed
from contracts.events import JobFinished
from contracts.events import JobMissed
from contracts.events import JobSkipped
from contracts.events import JobStarted
from contracts.events import Progress
from contracts.events import QueuedRunCancelled
from contracts.events import RunQueued
from contracts.events import RunScheduled
from contracts.events import RunWaiting
from domain.records import ExecutionRecord
from domain.records import ExecutionTombstone
from domain.records import updated

# What the projection knows of an execution: its record, its tombstone once deleted, or nothing yet.
ExecutionState = ExecutionRecord | ExecutionTombstone | None

# Reset when a newer attempt shows up: these describe one attempt.
_FRESH_ATTEMPT: dict[str, Any] = {
    "started_at": None,
    "worker_id": None,
    "last_sequence": 0,
    "retry_at": None,
    "reported_progress": None,
    "reported_message": None,
    "current_item": None,
    "total_items": None,
    "processed_items": None,
    "last_progress_sequence": 0,
}


def project_execution(state: ExecutionState, event: ExecutionEvent) -> ExecutionState:
    """The execution's state after `event`: `state` itself when the event changes nothing."""
    if isinstance(state, ExecutionTombstone):
        return state
    if isinstance(event, ExecutionDeleted):
        return ExecutionTombstone(
            execution_id=event.execution_id,
            job_id=event.job_id,
            deleted_at=event.occurred_at,
            actor=event.actor,
        )
    record = _new_record(event) if state is None else state
    update: dict[str, Any] = {
        "timestamp": min(record.timestamp, event.occurred_at),
        "updated_at": max(record.updated_at, event.occurred_at),
    }
    if event.attempt > record.attempt:
        # A newer attempt: its registers start afresh before the event's own changes are worked out.
        fresh = _FRESH_ATTEMPT | {"attempt": event.attempt, "last_sequence": event.sequence}
        if not _is_terminal(record):
            fresh |= {"error_message": None, "traceback": None}
        record = updated(record, fresh)
    elif event.attempt == record.attempt and event.sequence > record.last_sequence:
        update["last_sequence"] = event.sequence
    # `_changes` reads none of the fields set so far (timestamp, updated_at, last_sequence) and sets none of
    # them: both go into one copy of the record.
    return _derive(record, update | _changes(record, event))


def _new_record(event: ExecutionEvent) -> ExecutionRecord:
    return ExecutionRecord(
        execution_id=event.execution_id,
        job_id=event.job_id,
        job_name=getattr(event, "job_name", None) or event.job_id,
        status="queued",
        scheduled_time=getattr(event, "scheduled_time", None),
        timestamp=event.occurred_at,
        updated_at=event.occurred_at,
        attempt=event.attempt,
    )


def _changes(record: ExecutionRecord, event: ExecutionEvent) -> dict[str, Any]:
    """The fields `event` sets on `record` (whose attempt is already the newest seen)."""
    current = event.attempt == record.attempt
    match event:
        case RunQueued() | RunScheduled() | RunWaiting():
            return _announced(record, event)
        case JobStarted():
            return _started(record, event, current)
        case Progress() if current and event.sequence > record.last_progress_sequence:
            return _progress(event)
        case JobFinished():
            return _finished(record, event, current)
        case AttemptFailed() if current and not _is_terminal(record):
            return _attempt_failed(record, event)
        case JobMissed() | JobSkipped() if _ends_first(record, event.occurred_at):
            return _not_run(record, event)
        case CancelRequested():
            return _cancel_requested(record, event)
        case QueuedRunCancelled() if _ends_first(record, event.occurred_at):
            return _queued_run_cancelled(record, event)
        case ExecutionMarkedFailed() if _ends_first(record, event.occurred_at):
            return _ended("failed", event.occurred_at) | {"error_message": event.reason}
    return {}


def _is_terminal(record: ExecutionRecord) -> bool:
    return record.status in TERMINAL_STATUSES


def _ends_first(record: ExecutionRecord, ended_at: datetime) -> bool:
    """Whether a terminal fact at `ended_at` defines the record's end (the first one by time does)."""
    if not _is_terminal(record):
        return True
    return record.finished_at is not None and ended_at < record.finished_at


def _announced(record: ExecutionRecord, event: RunQueued | RunScheduled | RunWaiting) -> dict[str, Any]:
    """What the scheduler said of a run before any worker: queued, scheduled for a moment, or waiting.

    The `RunQueued` that releases a one-off or waiting run may come before its `RunScheduled` or
    `RunWaiting`: once released, those add only their own facts.
    """
    if isinstance(event, RunQueued):
        # The queue event may arrive after the worker's first events: it alone knows these.
        return _request(event) | {"is_manual": event.is_manual, "released": True}
    facts: dict[str, Any]
    if isinstance(event, RunScheduled):  # a one-off run waiting for its moment
        facts = {"run_at": event.scheduled_time, "is_manual": True}
    else:  # a fire waiting for its upstream jobs
        facts = {"waiting_for": list(event.waiting_for), "wait_until": event.wait_until}
    return facts if record.released else facts | _request(event)


def _request(event: RunQueued | RunScheduled | RunWaiting) -> dict[str, Any]:
    """The run's request as the scheduler announced it (a waiting fire has no `force` or `actor`)."""
    request: dict[str, Any] = {
        "job_name": event.job_name,
        "scheduled_time": event.scheduled_time,
        "kwargs": event.kwargs,
    }
    if not isinstance(event, RunWaiting):
        request |= {"force": event.force, "actor": event.actor}
    return request


def _started(record: ExecutionRecord, event: JobStarted, current: bool) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "job_name": event.job_name,
        "scheduled_time": record.scheduled_time or event.scheduled_time,
        "is_manual": record.is_manual or event.is_manual,
    }
    if current:
        facts |= {"started_at": event.started_at, "worker_id": event.worker_id}
    return facts


def _progress(event: Progress) -> dict[str, Any]:
    return {
        "reported_progress": event.progress,
        "reported_message": event.message,
        "current_item": event.current_item,
        "total_items": event.total_items,
        "processed_items": event.processed_items,
        "last_progress_sequence": event.sequence,
    }


def _ended(status: str, finished_at: datetime) -> dict[str, Any]:
    return {
        "status": status,
        "finished_at": finished_at,
        "retry_at": None,
        "return_value": None,
        "error_message": None,
        "traceback": None,
    }


def _finished(record: ExecutionRecord, event: JobFinished, current: bool) -> dict[str, Any]:
    update: dict[str, Any] = {"started_at": event.started_at} if current else {}
    if not _ends_first(record, event.finished_at):
        return update
    update |= _ended(event.status, event.finished_at) | {
        "return_value": event.return_value,
        "error_message": event.error_message,
        "traceback": event.traceback,
    }
    if event.status == "cancelled":
        update["cancel_requested_by"] = record.cancel_requested_by or event.cancelled_by
    return update


def _attempt_failed(record: ExecutionRecord, event: AttemptFailed) -> dict[str, Any]:
    """The attempt is over, the execution is not: it waits (queued) for its next attempt.

    Should the worker and the scheduler both report the attempt failed, the earlier retry is kept.
    """
    retry_at = to_millisecond(event.occurred_at + timedelta(seconds=event.retry_in_s))
    if record.retry_at is not None and record.retry_at <= retry_at:
        return {}
    return {
        "retry_at": retry_at,
        "error_message": event.error_message,
        "traceback": event.traceback,
        "progress_message": (
            f"第 {event.attempt} 次尝试失败（{event.reason}），{event.retry_in_s:.0f} 秒后重试"
        ),
    }


def _not_run(record: ExecutionRecord, event: JobMissed | JobSkipped) -> dict[str, Any]:
    return _ended("missed" if isinstance(event, JobMissed) else "skipped", event.occurred_at) | {
        "job_name": event.job_name,
        "scheduled_time": event.scheduled_time,
        "error_message": event.reason,
        "is_manual": getattr(event, "is_manual", record.is_manual),
    }


def _cancel_requested(record: ExecutionRecord, event: CancelRequested) -> dict[str, Any]:
    earlier = record.cancel_requested_at is None or event.occurred_at < record.cancel_requested_at
    if record.cancel_requested and not earlier:
        return {}
    return {
        "cancel_requested": True,
        "cancel_requested_by": event.actor,
        "cancel_requested_at": event.occurred_at,
    }


def _queued_run_cancelled(record: ExecutionRecord, event: QueuedRunCancelled) -> dict[str, Any]:
    """Cancelled before any worker started it: it ends now, with who asked."""
    requested_by = record.cancel_requested_by or event.actor
    requested_at = min(filter(None, (record.cancel_requested_at, event.occurred_at)))
    return _ended("cancelled", event.occurred_at) | {
        "cancel_requested": True,
        "cancel_requested_by": requested_by,
        "cancel_requested_at": requested_at,
        "error_message": f"cancelled by {event.actor} before it started",
    }


def _derive(record: ExecutionRecord, changes: dict[str, Any]) -> ExecutionRecord:
    """The record with `changes` and the display fields that follow from them.

    `record` with `changes` and the display fields that follow from the registers: status while not
    ended, progress (100 once successful), the message (a pending retry's notice, else the latest
    report's), the duration. One copy of the record for all of them; `record` itself if none of them
    changes a value.
    """
    fields: dict[str, Any] = vars(record)  # its values by name (read, never written)
    now = fields | changes  # the values once `changes` are made
    status = now["status"]
    derived: dict[str, Any] = {"progress": 100.0 if status == "success" else now["reported_progress"]}
    if status in TERMINAL_STATUSES:
        ended, started = now["finished_at"], now["started_at"]
        duration = (ended - started).total_seconds() if ended and started else None
        derived |= {
            "execution_time": None if duration is None else round(max(duration, 0.0), 3),
            "progress_message": now["reported_message"],
        }
    elif now["retry_at"] is not None:
        derived["status"] = "queued"
    elif now["run_at"] is not None and not now["released"] and now["last_sequence"] == 0:
        derived["status"] = "scheduled"
    elif now["waiting_for"] is not None and not now["released"] and now["last_sequence"] == 0:
        derived["status"] = "waiting"
    else:
        derived |= {
            "status": "running" if now["last_sequence"] > 0 else "queued",
            "progress_message": now["reported_message"],
        }
    final = {
        name: value
        for name, value in (changes | derived).items()
        if (current := fields[name]) is not value and current != value
    }
    return updated(record, final) if final else record
