"""What one fire becomes — a run, a skip (overlap policy) or a miss (too late) — as messages to publish.

Used for scheduled fires, catch-up after downtime and manual triggers alike.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from contracts.envelope import Message
from contracts.events import JobMissed, JobSkipped, RunQueued
from contracts.runs import RunJob
from domain.run_policy import overlap_refusal
from services.scheduler.definitions import JobDefinition
from services.scheduler.run_tracker import ActiveRun

_FIRE_NAMESPACE = uuid.UUID("6f1c6d2e-3f4a-4c1e-9a53-0b7f2f6f1a10")
DOWNTIME_REASON = "no scheduler was running at the scheduled time"


def scheduled_execution_id(job_id: str, scheduled_time: datetime) -> str:
    """Deterministic id of a scheduled fire: two schedulers firing the same time produce the same id."""
    return uuid.uuid5(_FIRE_NAMESPACE, f"{job_id}|{scheduled_time.isoformat()}").hex


@dataclass(frozen=True)
class FireOutcome:
    messages: tuple[Message, ...]


def decide_fire(
    definition: JobDefinition,
    *,
    active_runs: int,
    now: datetime,
    producer: str,
    scheduled_time: datetime,
    execution_id: str | None = None,
    is_manual: bool = False,
    kwargs: dict[str, Any] | None = None,
    force: bool = False,
    actor: str | None = None,
    cause: Message | None = None,
    downtime: bool = False,
    catching_up: bool = False,
) -> FireOutcome:
    envelope: dict[str, Any] = {"producer": producer, **(cause.caused() if cause is not None else {})}
    fire: dict[str, Any] = {
        "job_id": definition.job_id,
        "execution_id": execution_id or scheduled_execution_id(definition.job_id, scheduled_time),
        "job_name": definition.name,
        "scheduled_time": scheduled_time,
    }
    lateness = (now - scheduled_time).total_seconds()
    if downtime:
        return FireOutcome((JobMissed(**envelope, **fire, reason=DOWNTIME_REASON),))
    if not is_manual and not catching_up and lateness > definition.misfire_grace_time:
        reason = (
            f"fired {lateness:.1f} s late, more than the job's misfire grace time "
            f"({definition.misfire_grace_time} s)"
        )
        return FireOutcome((JobMissed(**envelope, **fire, reason=reason),))
    refusal = overlap_refusal(definition.policy, active_runs, force=force and is_manual)
    if refusal is not None:
        return FireOutcome((JobSkipped(**envelope, **fire, is_manual=is_manual, reason=refusal),))
    run_kwargs = {**definition.kwargs, **(kwargs or {})}
    queued = RunQueued(**envelope, **fire, is_manual=is_manual, kwargs=run_kwargs, force=force, actor=actor)
    run = RunJob(
        producer=producer,
        correlation_id=queued.correlation_id,
        causation_id=queued.message_id,
        **fire,
        job_kind=definition.job_kind,
        kwargs=run_kwargs,
        is_manual=is_manual,
        force=force,
        **retry_fields(definition),
    )
    return FireOutcome((queued, run))


def next_attempt(definition: JobDefinition, run: ActiveRun, attempt: int, producer: str) -> RunJob:
    """The `RunJob` for another attempt of an execution the tracker knows."""
    return RunJob(
        producer=producer,
        correlation_id=run.correlation_id or uuid.uuid4().hex,
        execution_id=run.execution_id,
        job_id=definition.job_id,
        job_name=definition.name,
        job_kind=definition.job_kind,
        kwargs=run.kwargs,
        scheduled_time=run.scheduled_time,
        is_manual=run.is_manual,
        force=run.force,
        attempt=attempt,
        **retry_fields(definition),
    )


def retry_fields(definition: JobDefinition) -> dict[str, Any]:
    policy = definition.policy
    return {
        "max_attempts": policy.max_attempts,
        "retry_backoff_s": policy.retry_backoff_s,
        "retry_backoff_max_s": policy.retry_backoff_max_s,
        "timeout_s": policy.timeout_s,
        "pool": definition.pool,
    }
