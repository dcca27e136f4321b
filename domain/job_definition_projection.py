"""How `JobCreated`, `JobChanged` and `JobDeleted` change the jobs read model (pure functions).

The definition of a job is ordered by its `job_version` (one scheduler leads at a time and numbers them):
an event whose version is not above the record's changes nothing, so duplicates and replays are harmless.
"""

from __future__ import annotations

from typing import Any

from contracts.events import JobChanged
from contracts.events import JobCreated
from contracts.events import JobDeleted
from domain.catalogue_projection import version_of
from domain.records import HistoryRecord
from domain.records import JobRecord
from domain.records import MetadataRecord
from domain.same_fields import copied
from domain.scheduling.definitions import EDITABLE_FIELDS

DefinitionEvent = JobCreated | JobChanged | JobDeleted
DEFINITION_EVENTS = (JobCreated, JobChanged, JobDeleted)


def project_definition(record: JobRecord | None, event: DefinitionEvent) -> JobRecord | None:
    """The job after a definition event."""
    if record is not None and event.job_version <= record.job_version:
        return record
    match event:
        case JobCreated():
            return _created(record, event)
        case JobChanged():
            return _changed(record, event) if record is not None else None
    return _deleted(record, event) if record is not None else None


def _created(record: JobRecord | None, event: JobCreated) -> JobRecord:
    definition = _definition_of(event)
    fields: dict[str, Any] = {
        "job_version": event.job_version,
        "definition": definition,
        "origin": "created",
        "incarnation": event.message_id,
        "last_command_id": event.command_id,
        "created_by": event.actor,
        "created_at": event.occurred_at,
        "deleted": False,
        "updated_at": event.occurred_at,
    }
    if record is not None:
        return record.model_copy(update=fields | {"job_kind": event.job_kind})
    return copied(
        JobRecord,
        event,
        name=event.display_name or event.job_id,
        misfire_grace_time=event.policy.get("misfire_grace_time"),
        registered_at=event.occurred_at,
        **fields,
    )


def _definition_of(event: JobCreated) -> dict[str, Any]:
    return {name: getattr(event, name) for name in EDITABLE_FIELDS}


def _changed(record: JobRecord, event: JobChanged) -> JobRecord:
    definition = dict(record.definition or {})
    definition |= {name: change.new for name, change in event.changes.items()}
    return record.model_copy(
        update={
            "job_version": event.job_version,
            "definition": definition,
            "last_command_id": event.command_id,
            "updated_at": max(record.updated_at, event.occurred_at),
        }
    )


def _deleted(record: JobRecord, event: JobDeleted) -> JobRecord:
    return record.model_copy(
        update={
            "job_version": event.job_version,
            "last_command_id": event.command_id,
            "deleted": True,
            "paused": True,
            "next_run_time": None,
            "scheduled_next_run_time": None,
            "updated_at": max(record.updated_at, event.occurred_at),
        }
    )


def project_definition_metadata(
    record: MetadataRecord | None, event: DefinitionEvent
) -> MetadataRecord | None:
    """The display name and description a created job starts with, or a change sets (None: unchanged)."""
    version = version_of(event)
    base = record or MetadataRecord(job_id=event.job_id, updated_at=event.occurred_at)
    update: dict[str, Any] = {}
    if isinstance(event, JobCreated):
        values = {"display_name": event.display_name, "description": event.description}
    elif isinstance(event, JobChanged):
        values = {
            name: event.changes[name].new for name in ("display_name", "description") if name in event.changes
        }
    else:
        return record
    for name, value in values.items():
        if version > getattr(base, f"{name}_version"):
            update |= {name: value, f"{name}_version": version}
    if not update:
        return record
    return base.model_copy(update=update | {"updated_at": max(base.updated_at, event.occurred_at)})


def definition_history(event: DefinitionEvent) -> HistoryRecord:
    """The operator-history line of a definition event: who did it, and what changed."""
    base = {"history_id": event.message_id, "timestamp": event.occurred_at, "status": "success"}
    details: dict[str, Any]
    match event:
        case JobCreated():
            action, details = "create", {"job_kind": event.job_kind, **_definition_of(event)}
        case JobChanged():
            action = "reset" if event.reset else "change"
            details = {name: change.model_dump() for name, change in event.changes.items()}
        case _:
            action, details = "delete_job", {"cancelled": list(event.cancelled)}
    details["job_version"] = event.job_version
    return HistoryRecord(**base, job_id=event.job_id, action=action, actor=event.actor, details=details)
