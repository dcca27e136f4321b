"""How job, metadata, history and scheduler-state records follow from events (pure functions)."""

from __future__ import annotations

from typing import Any

from contracts.envelope import Event
from contracts.events import BackfillCancelled
from contracts.events import BackfillRequested
from contracts.events import CancelRequested
from contracts.events import CommandRejected
from contracts.events import ExecutionDeleted
from contracts.events import ExecutionMarkedFailed
from contracts.events import JobMetadataUpdated
from contracts.events import JobPaused
from contracts.events import JobRegistered
from contracts.events import JobResumed
from contracts.events import JobScheduled
from contracts.events import QueuedRunCancelled
from contracts.events import RunQueued
from contracts.events import RunScheduled
from contracts.events import SchedulerHeartbeat
from contracts.events import backfill_of
from domain.records import HistoryRecord
from domain.records import JobRecord
from domain.records import MetadataRecord
from domain.records import SchedulerStateRecord
from domain.records import as_utc_key
from domain.same_fields import copied

# Actors that are the system itself, not an operator: their actions are not operator history.
SYSTEM_ACTORS = frozenset({"settings", "scheduler", "system"})

_COMMAND_ACTIONS = {
    "PauseJob": "pause",
    "ResumeJob": "resume",
    "TriggerJob": "trigger",
    "RequestBackfill": "backfill",
    "CancelBackfill": "cancel_backfill",
    "UpdateJobMetadata": "update_metadata",
    "CancelExecution": "cancel",
    "MarkExecutionFailed": "mark_failed",
    "DeleteExecution": "delete",
    "CreateJob": "create",
    "ChangeJob": "change",
    "DeleteJob": "delete_job",
    "ResetJob": "reset",
}


def version_of(event: Event) -> str:
    """Total order of facts for last-writer-wins: when it happened, then its id (ties are rare but real)."""
    return f"{as_utc_key(event.occurred_at)}|{event.message_id}"


def project_job(record: JobRecord | None, event: Event) -> JobRecord | None:
    """The job after `event`.

    Each group of fields (registration, paused, schedule) is a last-writer-wins register: an event older than
    the one that last set a group leaves it alone, so catalogue events may arrive in any order once the job is
    registered (the first registration comes first: until then the API refuses every command about the job and
    the scheduler has not scheduled it).
    """
    if isinstance(event, JobRegistered):
        return _registered(record, event)
    if record is None or not isinstance(event, JobPaused | JobResumed | JobScheduled):
        return record
    version = version_of(event)
    update: dict[str, Any] = {}
    if not isinstance(event, JobScheduled) and version > record.pause_version:
        paused = isinstance(event, JobPaused)
        reason = f"paused by {event.actor}" if paused else None
        update |= {"paused": paused, "paused_reason": reason, "pause_version": version}
    if version > record.schedule_version:
        next_run = None if isinstance(event, JobPaused) else event.next_run_time
        update |= {"scheduled_next_run_time": next_run, "schedule_version": version}
    if not isinstance(event, JobScheduled):
        update["updated_at"] = max(record.updated_at, event.occurred_at)
    return _derived(record.model_copy(update=update))


def _registered(record: JobRecord | None, event: JobRegistered) -> JobRecord:
    version = version_of(event)
    registration: dict[str, Any] = {
        "name": event.name,
        "job_kind": event.job_kind,
        "trigger": event.trigger,
        "kwargs": event.kwargs,
        "misfire_grace_time": event.misfire_grace_time,
        "max_instances": event.max_instances,
        "coalesce": event.coalesce,
        "dst_repeated": event.dst_repeated,
        "dst_skipped": event.dst_skipped,
        "registration_version": version,
    }
    if event.definition is not None and (record is None or event.job_version >= record.job_version):
        registration["definition"] = event.definition
    paused = {
        "paused": event.paused,
        "paused_reason": event.paused_reason if event.paused else None,
        "pause_version": version,
    }
    schedule = {"scheduled_next_run_time": event.next_run_time, "schedule_version": version}
    if record is None:
        first = JobRecord(
            job_id=event.job_id,
            **registration,
            **paused,
            **schedule,
            registered_at=event.occurred_at,
            updated_at=event.occurred_at,
        )
        return _derived(first)
    update: dict[str, Any] = {
        "registered_at": min(record.registered_at, event.occurred_at),
        "updated_at": max(record.updated_at, event.occurred_at),
    }
    for group, current in (
        (registration, record.registration_version),
        (paused, record.pause_version),
        (schedule, record.schedule_version),
    ):
        if version > current:
            update |= group
    return _derived(record.model_copy(update=update))


def _derived(record: JobRecord) -> JobRecord:
    next_run = None if record.paused else record.scheduled_next_run_time
    return (
        record if next_run == record.next_run_time else record.model_copy(update={"next_run_time": next_run})
    )


def project_metadata(record: MetadataRecord | None, event: JobMetadataUpdated) -> MetadataRecord:
    """The job's display name and description after the event.

    Display name and description are last-writer-wins registers each; `None` in the event leaves one
    as it is.
    """
    base = record or MetadataRecord(job_id=event.job_id, updated_at=event.occurred_at)
    version = version_of(event)
    update: dict[str, Any] = {"updated_at": max(base.updated_at, event.occurred_at)}
    if event.display_name is not None and version > base.display_name_version:
        update |= {"display_name": event.display_name, "display_name_version": version}
    if event.description is not None and version > base.description_version:
        update |= {"description": event.description, "description_version": version}
    return base.model_copy(update=update)


# Every type `history_entry` may make a line of (what its cases match); the others are let through at once
# (most events are a run's progress: a replay asks for a million of them).
HISTORY_EVENT_TYPES = (
    JobPaused,
    JobResumed,
    RunQueued,
    RunScheduled,
    JobMetadataUpdated,
    CancelRequested,
    QueuedRunCancelled,
    ExecutionDeleted,
    ExecutionMarkedFailed,
    CommandRejected,
    BackfillRequested,
    BackfillCancelled,
)


def history_entry(event: Event) -> HistoryRecord | None:
    """The operator-history line an event stands for, if any (keyed by the event's message_id)."""
    if not isinstance(event, HISTORY_EVENT_TYPES):
        return None
    return history_line(event)


def history_line(event: Event) -> HistoryRecord | None:
    """`history_entry` without its shortcut for the types it never makes a line of."""
    base = {"history_id": event.message_id, "timestamp": event.occurred_at, "status": "success"}
    match event:
        case JobPaused() | JobResumed() if event.actor not in SYSTEM_ACTORS:
            action = "pause" if isinstance(event, JobPaused) else "resume"
            return HistoryRecord(**base, job_id=event.job_id, action=action, actor=event.actor)
        case RunQueued(is_manual=True) | RunScheduled() if backfill_of(event.execution_id) is None:
            return _run_line(base, event)  # a backfill's runs: its own line stands for them
        case BackfillRequested() | BackfillCancelled():
            return _backfill_line(base, event)
        case JobMetadataUpdated():
            changes = {"display_name": event.display_name, "description": event.description}
            return HistoryRecord(
                **base,
                job_id=event.job_id,
                action="update_metadata",
                actor=event.actor,
                details=changes,
            )
        case CancelRequested() | QueuedRunCancelled() | ExecutionDeleted():
            action = "delete" if isinstance(event, ExecutionDeleted) else "cancel"
            return _execution_line(base, event, action)
        case ExecutionMarkedFailed() if event.actor is not None:  # None: the scheduler itself
            return _execution_line(base, event, "mark_failed", details={"reason": event.reason})
        case CommandRejected():
            return HistoryRecord(
                history_id=event.message_id,
                timestamp=event.occurred_at,
                status="failed",
                job_id=event.job_id,
                execution_id=event.execution_id,
                action=_COMMAND_ACTIONS.get(event.command_type, event.command_type),
                actor=event.actor,
                error_message=event.reason,
                details={"command_id": event.command_id},
            )
    return None


def _backfill_line(base: dict[str, Any], event: BackfillRequested | BackfillCancelled) -> HistoryRecord:
    """A backfill asked for (`backfill`: its range, days and parallelism) or cancelled (`cancel_backfill`)."""
    details: dict[str, Any] = {"backfill_id": event.backfill_id}
    if isinstance(event, BackfillRequested):
        details |= {
            "start_date": event.start_date,
            "end_date": event.end_date,
            "days": len(event.days),
            "max_parallel": event.max_parallel,
        }
    action = "backfill" if isinstance(event, BackfillRequested) else "cancel_backfill"
    return HistoryRecord(**base, job_id=event.job_id, action=action, actor=event.actor, details=details)


def _run_line(base: dict[str, Any], event: RunQueued | RunScheduled) -> HistoryRecord:
    """A run asked for by an operator: now (`trigger`) or at a moment (`schedule_run`)."""
    details: dict[str, Any] = {"execution_id": event.execution_id}
    if isinstance(event, RunScheduled):
        details["run_at"] = event.scheduled_time.isoformat()
    details |= {"kwargs": event.kwargs, "force": event.force}
    action = "schedule_run" if isinstance(event, RunScheduled) else "trigger"
    return _execution_line(base, event, action, details=details)


RunAction = (
    RunQueued | RunScheduled | CancelRequested | QueuedRunCancelled | ExecutionDeleted | ExecutionMarkedFailed
)


def _execution_line(base: dict[str, Any], event: RunAction, action: str, **extra: Any) -> HistoryRecord:
    """The history line of an operator's `action` on one execution (`extra`: its details, if any)."""
    execution = {"job_id": event.job_id, "execution_id": event.execution_id}
    return HistoryRecord(**base, **execution, action=action, actor=event.actor, **extra)


def scheduler_state(event: SchedulerHeartbeat) -> SchedulerStateRecord:
    """The scheduler-state record a heartbeat writes: its state, job counts, interval and liveness."""
    return copied(SchedulerStateRecord, event, last_heartbeat=event.occurred_at)
