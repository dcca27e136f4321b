"""How execution events build an `ExecutionRecord`: a pure function with guards.

Guards make the result independent of redelivery and of most reorderings:
- a duplicate or older event (by attempt, then sequence) changes nothing;
- a finished run is never reopened by a late `JobStarted` or `Progress`;
- when two terminal facts compete (a worker's `JobFinished` and an operator's `ExecutionMarkedFailed`),
  the one that happened first wins, whatever the delivery order.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from contracts.envelope import ExecutionEvent
from contracts.events import (
    TERMINAL_STATUSES,
    AttemptFailed,
    CancelRequested,
    ExecutionMarkedFailed,
    JobFinished,
    JobMissed,
    JobSkipped,
    JobStarted,
    Progress,
    RunQueued,
)
from domain.records import ExecutionRecord

DELETED = "deleted"


def project_execution(record: ExecutionRecord | None, event: ExecutionEvent) -> ExecutionRecord | None:
    """The record after `event`; `None` means "no record" (e.g. after `ExecutionDeleted`)."""
    if event.type == "ExecutionDeleted":
        return None
    if record is None:
        record = _new_record(event)
    updated = _apply(record, event)
    return _derive(updated, event.occurred_at)


def _new_record(event: ExecutionEvent) -> ExecutionRecord:
    job_name = getattr(event, "job_name", None) or event.job_id
    scheduled_time = getattr(event, "scheduled_time", None)
    return ExecutionRecord(
        execution_id=event.execution_id,
        job_id=event.job_id,
        job_name=job_name,
        status="queued",
        scheduled_time=scheduled_time,
        timestamp=event.occurred_at,
        updated_at=event.occurred_at,
        attempt=event.attempt,
    )


def _apply(record: ExecutionRecord, event: ExecutionEvent) -> ExecutionRecord:
    match event:
        case RunQueued():
            return _on_queued(record, event)
        case JobStarted():
            return _on_started(record, event)
        case Progress():
            return _on_progress(record, event)
        case JobFinished():
            return _on_finished(record, event)
        case AttemptFailed():
            return _on_attempt_failed(record, event)
        case JobMissed() | JobSkipped():
            return _on_not_run(record, event)
        case CancelRequested():
            return _on_cancel_requested(record, event)
        case ExecutionMarkedFailed():
            return _on_marked_failed(record, event)
    return record


def _is_terminal(record: ExecutionRecord) -> bool:
    return record.status in TERMINAL_STATUSES


def _is_newer(record: ExecutionRecord, event: ExecutionEvent) -> bool:
    return (event.attempt, event.sequence) > (record.attempt, record.last_sequence)


def _on_queued(record: ExecutionRecord, event: RunQueued) -> ExecutionRecord:
    # The queue event may arrive after the worker's first events: fill what it alone knows.
    return record.model_copy(
        update={
            "job_name": event.job_name,
            "scheduled_time": event.scheduled_time,
            "timestamp": min(record.timestamp, event.occurred_at),
            "is_manual": event.is_manual,
            "kwargs": event.kwargs,
            "force": event.force,
            "actor": event.actor,
        }
    )


def _on_started(record: ExecutionRecord, event: JobStarted) -> ExecutionRecord:
    facts: dict[str, Any] = {
        "job_name": event.job_name,
        "scheduled_time": record.scheduled_time or event.scheduled_time,
        "is_manual": record.is_manual or event.is_manual,
    }
    if _is_terminal(record) or not _is_newer(record, event):
        if record.attempt == event.attempt:
            facts |= {
                "started_at": record.started_at or event.started_at,
                "worker_id": record.worker_id or event.worker_id,
            }
        return record.model_copy(update=facts)
    new_attempt = event.attempt > record.attempt
    return record.model_copy(
        update=facts
        | {
            "status": "running",
            "retry_at": None,
            "started_at": event.started_at,
            "worker_id": event.worker_id,
            "attempt": event.attempt,
            "last_sequence": event.sequence,
            "reported_progress": None if new_attempt else record.reported_progress,
            "last_progress_sequence": 0 if new_attempt else record.last_progress_sequence,
        }
    )


def _on_progress(record: ExecutionRecord, event: Progress) -> ExecutionRecord:
    if event.attempt < record.attempt:
        return record
    same_attempt = event.attempt == record.attempt
    if same_attempt and event.sequence <= record.last_progress_sequence:
        return record
    update: dict[str, Any] = {
        "reported_progress": event.progress,
        "progress_message": event.message,
        "current_item": event.current_item,
        "total_items": event.total_items,
        "processed_items": event.processed_items,
        "last_progress_sequence": event.sequence,
    }
    if _is_terminal(record):
        # A late report from before the end still fills the run's last progress; it never reopens it.
        if same_attempt and event.sequence < record.last_sequence:
            return record.model_copy(update=update)
        return record
    if _is_newer(record, event):
        update |= {"status": "running", "attempt": event.attempt, "last_sequence": event.sequence}
    return record.model_copy(update=update)


def _ends_first(record: ExecutionRecord, ended_at: datetime) -> bool:
    """Whether a terminal fact at `ended_at` should define the record's end."""
    if not _is_terminal(record):
        return True
    return record.finished_at is not None and ended_at < record.finished_at


def _on_finished(record: ExecutionRecord, event: JobFinished) -> ExecutionRecord:
    if event.attempt < record.attempt:
        return record
    if not _ends_first(record, event.finished_at):
        if event.attempt == record.attempt and event.sequence > record.last_sequence:
            return record.model_copy(update={"last_sequence": event.sequence})
        return record
    duration = max((event.finished_at - event.started_at).total_seconds(), 0.0)
    update: dict[str, Any] = {
        "status": event.status,
        "started_at": event.started_at,
        "finished_at": event.finished_at,
        "execution_time": round(duration, 3),
        "return_value": event.return_value,
        "error_message": event.error_message,
        "traceback": event.traceback,
        "attempt": event.attempt,
        "last_sequence": max(event.sequence, record.last_sequence),
    }
    if event.status == "cancelled":
        update |= {"cancel_requested_by": record.cancel_requested_by or event.cancelled_by}
    return record.model_copy(update=update)


def _on_attempt_failed(record: ExecutionRecord, event: AttemptFailed) -> ExecutionRecord:
    """The attempt is over, the execution is not: it waits (queued) for its next attempt."""
    if _is_terminal(record) or event.attempt < record.attempt:
        return record
    if event.attempt == record.attempt and event.sequence and event.sequence < record.last_sequence:
        return record
    return record.model_copy(
        update={
            "status": "queued",
            "attempt": event.attempt,
            "last_sequence": max(event.sequence, record.last_sequence)
            if event.attempt == record.attempt
            else event.sequence,
            "error_message": event.error_message,
            "traceback": event.traceback,
            "retry_at": event.occurred_at + timedelta(seconds=event.retry_in_s),
            "progress_message": (
                f"第 {event.attempt} 次尝试失败（{event.reason}），{event.retry_in_s:.0f} 秒后重试"
            ),
        }
    )


def _on_not_run(record: ExecutionRecord, event: JobMissed | JobSkipped) -> ExecutionRecord:
    if not _ends_first(record, event.occurred_at):
        return record
    return record.model_copy(
        update={
            "status": "missed" if isinstance(event, JobMissed) else "skipped",
            "job_name": event.job_name,
            "scheduled_time": event.scheduled_time,
            "finished_at": event.occurred_at,
            "error_message": event.reason,
            "is_manual": getattr(event, "is_manual", record.is_manual),
        }
    )


def _on_cancel_requested(record: ExecutionRecord, event: CancelRequested) -> ExecutionRecord:
    if record.cancel_requested:
        return record
    return record.model_copy(
        update={
            "cancel_requested": True,
            "cancel_requested_by": event.actor,
            "cancel_requested_at": event.occurred_at,
        }
    )


def _on_marked_failed(record: ExecutionRecord, event: ExecutionMarkedFailed) -> ExecutionRecord:
    if not _ends_first(record, event.occurred_at):
        return record
    started = record.started_at
    duration = (event.occurred_at - started).total_seconds() if started else None
    return record.model_copy(
        update={
            "status": "failed",
            "finished_at": event.occurred_at,
            "execution_time": round(duration, 3) if duration is not None else None,
            "error_message": event.reason,
            "return_value": None,
            "traceback": None,
        }
    )


def _derive(record: ExecutionRecord, occurred_at: datetime) -> ExecutionRecord:
    """Fields that follow from the others: displayed progress (100 once successful), last update."""
    progress = 100.0 if record.status == "success" else record.reported_progress
    updated_at = max(record.updated_at, occurred_at)
    if progress == record.progress and updated_at == record.updated_at:
        return record
    return record.model_copy(update={"progress": progress, "updated_at": updated_at})
