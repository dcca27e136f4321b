"""How job, metadata, history and scheduler-state records follow from events (pure functions)."""

from __future__ import annotations

from contracts.envelope import Event
from contracts.events import (
    CancelRequested,
    CommandRejected,
    ExecutionDeleted,
    ExecutionMarkedFailed,
    JobMetadataUpdated,
    JobPaused,
    JobRegistered,
    JobResumed,
    JobScheduled,
    RunQueued,
    SchedulerHeartbeat,
)
from domain.records import HistoryRecord, JobRecord, MetadataRecord, SchedulerStateRecord

# Actors that are the system itself, not an operator: their actions are not operator history.
SYSTEM_ACTORS = frozenset({"settings", "scheduler", "system"})

_COMMAND_ACTIONS = {
    "PauseJob": "pause",
    "ResumeJob": "resume",
    "TriggerJob": "trigger",
    "UpdateJobMetadata": "update_metadata",
    "CancelExecution": "cancel",
    "MarkExecutionFailed": "mark_failed",
    "DeleteExecution": "delete",
}


def project_job(record: JobRecord | None, event: Event) -> JobRecord | None:
    match event:
        case JobRegistered():
            return JobRecord(
                job_id=event.job_id,
                name=event.name,
                job_kind=event.job_kind,
                trigger=event.trigger,
                kwargs=event.kwargs,
                paused=event.paused,
                paused_reason=event.paused_reason if event.paused else None,
                next_run_time=event.next_run_time,
                misfire_grace_time=event.misfire_grace_time,
                max_instances=event.max_instances,
                coalesce=event.coalesce,
                registered_at=record.registered_at if record else event.occurred_at,
                updated_at=event.occurred_at,
            )
        case JobPaused() if record is not None:
            update = {
                "paused": True,
                "paused_reason": f"paused by {event.actor}",
                "next_run_time": None,
                "updated_at": event.occurred_at,
            }
            return record.model_copy(update=update)
        case JobResumed() if record is not None:
            update = {
                "paused": False,
                "paused_reason": None,
                "next_run_time": event.next_run_time,
                "updated_at": event.occurred_at,
            }
            return record.model_copy(update=update)
        case JobScheduled() if record is not None:
            next_run = None if record.paused else event.next_run_time
            return record.model_copy(update={"next_run_time": next_run})
    return record


def project_metadata(record: MetadataRecord | None, event: JobMetadataUpdated) -> MetadataRecord:
    base = record or MetadataRecord(job_id=event.job_id, updated_at=event.occurred_at)
    return base.model_copy(
        update={
            "display_name": event.display_name if event.display_name is not None else base.display_name,
            "description": event.description if event.description is not None else base.description,
            "updated_at": event.occurred_at,
        }
    )


def history_entry(event: Event) -> HistoryRecord | None:
    """The operator-history line an event stands for, if any (keyed by the event's message_id)."""
    base = {"history_id": event.message_id, "timestamp": event.occurred_at, "status": "success"}
    match event:
        case JobPaused() | JobResumed() if event.actor not in SYSTEM_ACTORS:
            action = "pause" if isinstance(event, JobPaused) else "resume"
            return HistoryRecord(**base, job_id=event.job_id, action=action, actor=event.actor)
        case RunQueued(is_manual=True):
            details = {"execution_id": event.execution_id, "kwargs": event.kwargs, "force": event.force}
            return HistoryRecord(
                **base,
                job_id=event.job_id,
                execution_id=event.execution_id,
                action="trigger",
                actor=event.actor,
                details=details,
            )
        case JobMetadataUpdated():
            changes = {"display_name": event.display_name, "description": event.description}
            return HistoryRecord(
                **base,
                job_id=event.job_id,
                action="update_metadata",
                actor=event.actor,
                details=changes,
            )
        case CancelRequested() | ExecutionDeleted():
            action = "cancel" if isinstance(event, CancelRequested) else "delete"
            return HistoryRecord(
                **base,
                job_id=event.job_id,
                execution_id=event.execution_id,
                action=action,
                actor=event.actor,
            )
        case ExecutionMarkedFailed() if event.actor not in SYSTEM_ACTORS:
            return HistoryRecord(
                **base,
                job_id=event.job_id,
                execution_id=event.execution_id,
                action="mark_failed",
                actor=event.actor,
                details={"reason": event.reason},
            )
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


def scheduler_state(event: SchedulerHeartbeat) -> SchedulerStateRecord:
    return SchedulerStateRecord(
        scheduler_id=event.scheduler_id,
        state=event.state,
        total_jobs=event.total_jobs,
        paused_jobs=event.paused_jobs,
        interval_s=event.interval_s,
        last_heartbeat=event.occurred_at,
        active=event.active,
    )
