"""One-off runs: a `TriggerJob` with `run_at` is planned (`RunScheduled`), then released at its moment.

Released, a one-off run is a manual fire like any other (`decide_fire`: the overlap policy applies, a paused
job still runs it), with two rules of its own: one whose moment passed while no scheduler led runs if it is
late by less than its job's misfire grace time, else it is `missed`; one whose job no longer exists is
`skipped`, with the reason.
"""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from typing import Any

from contracts.commands import TriggerJob
from contracts.events import JobMissed
from contracts.events import JobSkipped
from contracts.events import RunScheduled
from domain.scheduling.decide import Decision
from domain.scheduling.decide import decide_fire
from domain.scheduling.decision import answer_envelope
from domain.scheduling.fire import Fire
from domain.scheduling.fire import Now
from domain.scheduling.job import JobRules
from domain.scheduling.state import PlannedRun
from domain.scheduling.state import SchedulerState
from domain.scheduling.state import unplanned

ONE_OFF_HORIZON = timedelta(days=366)
"""How far ahead a one-off run may be asked for (a year, leap years included)."""


def one_off_refusal(run_at: datetime, now: datetime) -> str | None:
    """Why a one-off run at `run_at` cannot be planned at `now` (None: it can)."""
    if run_at.tzinfo is None:
        return "run_at needs a UTC offset (e.g. 2027-01-04T09:30:00+08:00)"
    if run_at <= now:
        return f"run_at {run_at.isoformat()} is not in the future"
    if run_at > now + ONE_OFF_HORIZON:
        return f"run_at {run_at.isoformat()} is more than a year ahead"
    return None


def plan_one_off(job: JobRules, command: TriggerJob, now: Now, producer: str) -> Decision:
    """The `RunScheduled` of a `TriggerJob` whose `run_at` is in the future."""
    assert command.run_at is not None
    event = RunScheduled(
        **answer_envelope(command, now, producer),
        job_id=job.job_id,
        execution_id=command.execution_id,
        job_name=job.name,
        scheduled_time=command.run_at,
        kwargs={**job.kwargs, **command.kwargs},
        force=command.force,
    )
    return Decision((event,), log=f"one-off run of {job.job_id} at {command.run_at.isoformat()}")


def decide_one_off(
    state: SchedulerState,
    job: JobRules | None,
    planned: PlannedRun,
    now: Now,
    *,
    producer: str,
    recorded: str | None = None,
) -> Decision:
    """What a one-off run whose moment came becomes. `recorded`: its status in the store (None: unknown)."""
    if recorded is not None and recorded != "scheduled":
        return Decision(log=f"one-off run {planned.execution_id} is {recorded}: left as it is")
    fields: dict[str, Any] = {
        "producer": producer,
        "occurred_at": now.wall,
        "correlation_id": planned.correlation_id or planned.execution_id,
        "job_id": planned.job_id,
        "execution_id": planned.execution_id,
        "job_name": job.name if job is not None else planned.job_id,
        "scheduled_time": planned.run_at,
    }
    if job is None:
        reason = f"job {planned.job_id!r} no longer exists"
        return Decision((JobSkipped(**fields, is_manual=True, reason=reason),), log=reason)
    lateness = (now.wall - planned.run_at).total_seconds()
    if lateness > job.misfire_grace_time:
        reason = (
            f"one-off run {lateness:.1f} s late (no scheduler led at its moment), more than the job's "
            f"misfire grace time ({job.misfire_grace_time} s)"
        )
        return Decision((JobMissed(**fields, reason=reason),), log=reason)
    fire = Fire(
        job_id=planned.job_id,
        scheduled_time=planned.run_at,
        execution_id=planned.execution_id,
        origin="manual",
        kwargs=dict(planned.kwargs),
        force=planned.force,
        actor=planned.actor,
        cause={"correlation_id": fields["correlation_id"]},
    )
    return decide_fire(unplanned(state, planned.execution_id), job, fire, now, producer=producer)
