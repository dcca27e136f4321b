"""What one fire, one command or one maintenance tick becomes: the messages to publish, nothing else.

Every function here is pure: it reads the state, the job and the facts the service looked up, and returns a
`Decision`. The rules, in the order they apply to a fire:

1. an execution that exists (in the state or in the store) is never changed: deciding it again is a no-op;
2. a scheduled fire of a paused job does nothing;
3. an instant of a downtime beyond its grace time is `missed`, one a stall coalesced is `skipped: coalesced`;
4. a scheduled fire later than the job's grace time is `missed`;
5. the overlap policy counts the job's other runs in flight, never the one being decided;
6. a clock's fire of a job that waits for upstream jobs (`policy.after`) runs, is skipped or waits
   (`domain.scheduling.waiting`);
7. otherwise the run is queued (`RunQueued`) and sent to its pool (`RunJob`).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import tzinfo
from typing import Any

from contracts.envelope import Message
from contracts.events import AttemptFailed
from contracts.events import ExecutionMarkedFailed
from contracts.events import JobMissed
from contracts.events import JobSkipped
from contracts.runs import RunJob
from domain.run_policy import may_retry
from domain.run_policy import overlap_refusal
from domain.run_policy import retry_delay_s
from domain.same_fields import copied
from domain.scheduling.decision import NOTHING as NOTHING
from domain.scheduling.decision import Claim as Claim
from domain.scheduling.decision import Decision as Decision
from domain.scheduling.decision import retry_fields
from domain.scheduling.decision import run_messages
from domain.scheduling.fire import Fire
from domain.scheduling.fire import Now
from domain.scheduling.job import JobRules
from domain.scheduling.state import ActiveRun
from domain.scheduling.state import SchedulerState
from domain.scheduling.waiting import gated_fire

DOWNTIME_REASON = "no scheduler was running at the scheduled time"
COALESCED_REASON = "coalesced: a later instant of this job stands for it (the scheduler was stalled)"


def decide_fire(
    state: SchedulerState,
    job: JobRules,
    fire: Fire,
    now: Now,
    *,
    producer: str,
    recorded: str | None = None,
    zone: tzinfo = UTC,
) -> Decision:
    """What one fire becomes.

    `recorded` is the execution's status in the store (None: not there); `zone`: the jobs' timezone (the day
    window of a fire that waits for upstream jobs).
    """
    known = state.outcome(fire.execution_id) or recorded
    if known is not None:
        return Decision(log=f"execution {fire.execution_id} of {job.job_id} exists ({known}): left as it is")
    if fire.origin != "manual" and job.job_id in state.paused:
        return Decision(
            log=f"{job.job_id} is paused: its fire at {fire.scheduled_time.isoformat()} does nothing"
        )
    envelope: dict[str, Any] = {"producer": producer, "occurred_at": now.wall, **fire.cause}
    fields: dict[str, Any] = {
        "job_id": job.job_id,
        "execution_id": fire.execution_id,
        "job_name": job.name,
        "scheduled_time": fire.scheduled_time,
    }
    refusal = _refusal(state, job, fire, now)
    if refusal is not None:
        missed, reason = refusal
        if missed:
            return Decision((JobMissed(**envelope, **fields, reason=reason),), log=reason)
        event = JobSkipped(**envelope, **fields, is_manual=fire.is_manual, reason=reason)
        return Decision((event,), log=reason)
    gated = gated_fire(state, job, fire, now, envelope, fields, producer=producer, zone=zone)
    if gated is not None:
        return gated
    return Decision(run_messages(job, fire, envelope, fields, producer))


def _refusal(state: SchedulerState, job: JobRules, fire: Fire, now: Now) -> tuple[bool, str] | None:
    """(missed?, reason) when the fire must not run, None when it may."""
    if fire.origin == "downtime":
        return True, DOWNTIME_REASON
    if fire.origin == "coalesced":
        return False, COALESCED_REASON
    if fire.refusal is not None:
        return False, fire.refusal
    lateness = (now.wall - fire.scheduled_time).total_seconds()
    if fire.origin == "scheduled" and lateness > job.misfire_grace_time:
        return True, (
            f"fired {lateness:.1f} s late, more than the job's misfire grace time "
            f"({job.misfire_grace_time} s)"
        )
    active = state.active_count(job.job_id, excluding=fire.execution_id)
    reason = overlap_refusal(job.policy, active)
    return (False, reason) if reason is not None else None


def dispatch(job: JobRules, run: ActiveRun, attempt: int, now: Now, producer: str) -> RunJob:
    """The `RunJob` that sends (again) one attempt of a run in flight: the run's fields, the job's rules."""
    return copied(
        RunJob,
        run,
        producer=producer,
        occurred_at=now.wall,
        correlation_id=run.correlation_id or uuid.uuid4().hex,
        job_name=job.name,
        job_kind=job.job_kind,
        kwargs=dict(run.kwargs),
        attempt=attempt,
        **retry_fields(job),
    )


@dataclass(frozen=True)
class Watch:
    """The bounds of the leader's watch over runs in flight (seconds, monotonic)."""

    heartbeat_timeout_s: float
    queued_redispatch_s: float
    queued_max_wait_s: float


def decide_tick(
    state: SchedulerState,
    jobs: Mapping[str, JobRules],
    now: Now,
    watch: Watch,
    *,
    producer: str,
    jitter: Callable[[], float] = random.random,
) -> list[Decision]:
    """One round of the leader's watch: lost runs, due retries, queued runs whose delivery was lost."""
    decisions: list[Decision] = []
    for run in list(state.runs.values()):
        job = jobs.get(run.job_id)
        decision = _watch_run(run, job, now, watch, producer, jitter)
        if decision is not None:
            decisions.append(decision)
    return decisions


def _watch_run(
    run: ActiveRun,
    job: JobRules | None,
    now: Now,
    watch: Watch,
    producer: str,
    jitter: Callable[[], float],
) -> Decision | None:
    envelope = {
        "producer": producer,
        "occurred_at": now.wall,
        "job_id": run.job_id,
        "execution_id": run.execution_id,
        "attempt": run.attempt,
    }
    if run.running and now.mono - run.heard_at > watch.heartbeat_timeout_s:
        return _lost(run, job, envelope, watch, jitter)
    if run.retry_due is not None and run.retry_due <= now.mono and job is not None:
        return Decision(
            (dispatch(job, run, run.attempt + 1, now, producer),), log=f"attempt {run.attempt + 1}"
        )
    if not run.waiting:
        return None
    waited = now.mono - run.heard_at
    if waited > watch.queued_max_wait_s or job is None:
        reason = f"queued for more than {watch.queued_max_wait_s:g} s and no worker took it"
        if job is None:
            reason = f"job {run.job_id} is not in the catalogue any more"
        ending = ExecutionMarkedFailed(**envelope, actor=None, reason=reason)
        claim = Claim(run.execution_id, run.attempt, "scheduler:expired")
        return Decision((), claim=claim, if_claimed=(ending,), log=reason)
    if now.mono - run.dispatched_at > watch.queued_redispatch_s * 2 ** min(max(run.dispatches - 1, 0), 10):
        reason = f"queued for {waited:.0f} s: sent again (a delivery may have been lost)"
        return Decision((dispatch(job, run, run.attempt, now, producer),), log=reason)
    return None


def _lost(
    run: ActiveRun,
    job: JobRules | None,
    envelope: dict[str, Any],
    watch: Watch,
    jitter: Callable[[], float],
) -> Decision:
    timeout = watch.heartbeat_timeout_s
    reason = f"worker lost: no heartbeat from {run.worker_id or 'its worker'} for more than {timeout:g} s"
    event: Message
    if job is not None and may_retry(job.policy, run.attempt):
        delay = retry_delay_s(job.policy, run.attempt, jitter=jitter)
        event = AttemptFailed(**envelope, reason="worker_lost", error_message=reason, retry_in_s=delay)
    else:
        event = ExecutionMarkedFailed(**envelope, actor=None, reason=reason)  # the scheduler itself
    return Decision((event,), log=reason)
