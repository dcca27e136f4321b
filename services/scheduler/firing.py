"""What happens when a job fires: run it, or record why not. Used for scheduled fires and manual triggers."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from contracts.envelope import Message
from contracts.events import JobMissed, RunQueued
from contracts.runs import RunJob
from services.scheduler.definitions import JobDefinition

_FIRE_NAMESPACE = uuid.UUID("6f1c6d2e-3f4a-4c1e-9a53-0b7f2f6f1a10")


def scheduled_execution_id(job_id: str, scheduled_time: datetime) -> str:
    """Deterministic id of a scheduled fire: two schedulers firing the same time produce the same id."""
    return uuid.uuid5(_FIRE_NAMESPACE, f"{job_id}|{scheduled_time.isoformat()}").hex


def run_messages(
    definition: JobDefinition,
    *,
    execution_id: str,
    scheduled_time: datetime,
    producer: str,
    is_manual: bool,
    kwargs: dict[str, Any] | None = None,
    force: bool = False,
    actor: str | None = None,
    cause: Message | None = None,
) -> tuple[RunQueued, RunJob]:
    """The `RunQueued` event and the `RunJob` request for one run (attempt 1)."""
    run_kwargs = {**definition.kwargs, **(kwargs or {})}
    envelope: dict[str, Any] = {"producer": producer}
    if cause is not None:
        envelope |= cause.caused()
    queued = RunQueued(
        **envelope,
        job_id=definition.job_id,
        execution_id=execution_id,
        job_name=definition.name,
        scheduled_time=scheduled_time,
        is_manual=is_manual,
        kwargs=run_kwargs,
        force=force,
        actor=actor,
    )
    run = RunJob(
        producer=producer,
        correlation_id=queued.correlation_id,
        causation_id=queued.message_id,
        execution_id=execution_id,
        job_id=definition.job_id,
        job_name=definition.name,
        job_kind=definition.job_kind,
        kwargs=run_kwargs,
        scheduled_time=scheduled_time,
        is_manual=is_manual,
        force=force,
    )
    return queued, run


def missed_event(
    definition: JobDefinition, *, scheduled_time: datetime, now: datetime, producer: str
) -> JobMissed:
    lateness = (now - scheduled_time).total_seconds()
    return JobMissed(
        producer=producer,
        job_id=definition.job_id,
        execution_id=scheduled_execution_id(definition.job_id, scheduled_time),
        job_name=definition.name,
        scheduled_time=scheduled_time,
        reason=(
            f"fired {lateness:.1f} s late, more than the job's misfire grace time "
            f"({definition.misfire_grace_time} s)"
        ),
    )


def is_late(definition: JobDefinition, *, scheduled_time: datetime, now: datetime) -> bool:
    return (now - scheduled_time).total_seconds() > definition.misfire_grace_time
