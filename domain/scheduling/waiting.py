"""Time triggers that wait for upstream jobs (`policy.after`), as pure decisions.

At a scheduled fire of such a job (`gated_fire`), its upstream jobs' latest ends (`SchedulerState.progress`)
decide, each counted only when it came after the job's last run and within its window of the fire
(`domain.scheduling.dependencies.counts`):
- every upstream succeeded (a `partial` end only with `accept_partial`): the fire runs at once, caused by
  the newest of those ends;
- an upstream's end that counts failed (or missed, was cancelled or skipped): the fire is recorded
  `skipped` with the reason `upstream_failed: <job_id> <execution_id>`;
- otherwise the fire waits (`RunWaiting`, status `waiting`, with what it waits for) until `wait_until`
  (the fire plus `wait_timeout_s`); so does a fire whose upstreams succeeded while an earlier fire of the job
  waits again after an unconfirmed run or skip (`rewaited`): that run may have used the successes up, which
  its record tells before anything is decided again (`domain.scheduling.reconcile.reconciled_waits`).

A waiting fire is decided again (`decide_waiting`) after each upstream end, when a leader takes office,
and on each round of the leader's watch: it runs (`RunQueued` and `RunJob` with its own execution id) once
the last upstream succeeded, ends `skipped` at once when an upstream fails, or `skipped` with the reason
`wait_timeout: <jobs>` once the scheduler's clock passed `wait_until`. Each of those ends it: the state
forgets a waiting fire as soon as its end is decided, so it ends exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from datetime import tzinfo
from typing import Any

from contracts.events import JobSkipped
from contracts.events import RunQueued
from contracts.events import RunWaiting
from domain.run_policy import RunPolicy
from domain.scheduling.decision import Decision
from domain.scheduling.decision import run_messages
from domain.scheduling.dependencies import counts
from domain.scheduling.dependencies import succeeded
from domain.scheduling.fire import Fire
from domain.scheduling.fire import Now
from domain.scheduling.job import JobRules
from domain.scheduling.progress import UPSTREAM_REASON_PREFIX
from domain.scheduling.progress import DependencyProgress
from domain.scheduling.progress import UpstreamEnd
from domain.scheduling.reconcile import put_back
from domain.scheduling.state import SchedulerState
from domain.scheduling.state import WaitingRun

WAIT_TIMEOUT_PREFIX = "wait_timeout: "
GATED_ORIGINS = frozenset({"scheduled", "catch_up"})
"""The fires that wait: the clock's (a manual run is the operator's and runs at once)."""


@dataclass(frozen=True)
class Ready:
    """Every upstream succeeded: the newest of their ends causes the run."""

    newest: UpstreamEnd


@dataclass(frozen=True)
class Failed:
    """An upstream's end that counts did not succeed."""

    upstream_id: str
    end: UpstreamEnd


@dataclass(frozen=True)
class Missing:
    """The upstream jobs with no success that counts yet."""

    jobs: tuple[str, ...]


Verdict = Ready | Failed | Missing


def verdict(
    progress: DependencyProgress, job_id: str, policy: RunPolicy, fired_at: datetime, zone: tzinfo
) -> Verdict:
    """What the upstream jobs' latest ends say for a fire of `job_id` at `fired_at` (a failure first)."""
    last_run = progress.last_runs.get(job_id)
    missing: list[str] = []
    ends: list[UpstreamEnd] = []
    for upstream_id in policy.after:
        end = progress.ends.get(upstream_id)
        if end is None or not counts(end, policy, last_run, fired_at, zone):
            missing.append(upstream_id)
        elif not succeeded(end, policy):
            return Failed(upstream_id, end)
        else:
            ends.append(end)
    if missing or not ends:
        return Missing(tuple(missing))
    return Ready(max(ends, key=lambda end: end.at))


def upstream_failed_reason(upstream_id: str, end: UpstreamEnd) -> str:
    """`upstream_failed: <job_id> <execution_id>`."""
    return f"{UPSTREAM_REASON_PREFIX}{upstream_id} {end.execution_id}"


def gated_fire(
    state: SchedulerState,
    job: JobRules,
    fire: Fire,
    now: Now,
    envelope: dict[str, Any],
    fields: dict[str, Any],
    *,
    producer: str,
    zone: tzinfo,
) -> Decision | None:
    """What a fire of a job with `policy.after` becomes; None when it is not gated.

    A fire is not gated without `policy.after`, nor when it is manual or an upstream's.
    """
    policy = job.policy
    if not policy.after or fire.origin not in GATED_ORIGINS:
        return None
    found = verdict(state.progress, job.job_id, policy, fire.scheduled_time, zone)
    if isinstance(found, Ready) and _put_back(state, job.job_id):
        found = Missing(policy.after)  # a put-back fire's run may have used the successes up: it goes first
    match found:
        case Ready(newest):
            return Decision(run_messages(job, fire, {**envelope, **newest.cause}, fields, producer))
        case Failed(upstream_id, end):
            reason = upstream_failed_reason(upstream_id, end)
            event = JobSkipped(**{**envelope, **end.cause}, **fields, is_manual=False, reason=reason)
            return Decision((event,), log=reason)
        case Missing(jobs):
            waits = RunWaiting(
                **envelope,
                **fields,
                waiting_for=list(jobs),
                wait_until=fire.scheduled_time + timedelta(seconds=policy.wait_timeout_s),
                kwargs={**job.kwargs, **fire.kwargs},
            )
            return Decision((waits,), log=f"{job.job_id} waits for {', '.join(jobs)}")
    return None  # pragma: no cover - the match is exhaustive


def decide_waiting(
    state: SchedulerState, job: JobRules | None, run: WaitingRun, now: Now, *, producer: str, zone: tzinfo
) -> Decision | None:
    """What a waiting fire becomes now: its run, its skip, or nothing yet (None)."""
    envelope: dict[str, Any] = {"producer": producer, "occurred_at": now.wall}
    if run.correlation_id is not None:
        envelope["correlation_id"] = run.correlation_id
    fields: dict[str, Any] = {
        "job_id": run.job_id,
        "execution_id": run.execution_id,
        "job_name": run.job_name,
        "scheduled_time": run.scheduled_time,
    }
    if job is None:
        return _skip(envelope, fields, f"{WAIT_TIMEOUT_PREFIX}job {run.job_id} was deleted while it waited")
    found = verdict(state.progress, run.job_id, job.policy, run.scheduled_time, zone)
    match found:
        case Ready(newest):
            fire = Fire(
                run.job_id, run.scheduled_time, run.execution_id, origin="upstream", kwargs=run.kwargs
            )
            messages = run_messages(job, fire, {**envelope, **newest.cause}, fields, producer)
            return Decision(messages, log=f"{run.job_id}: its upstream jobs succeeded, it runs")
        case Failed(upstream_id, end):
            return _skip({**envelope, **end.cause}, fields, upstream_failed_reason(upstream_id, end))
        case Missing(jobs) if now.wall >= run.wait_until:
            return _skip(envelope, fields, f"{WAIT_TIMEOUT_PREFIX}{', '.join(jobs or run.waiting_for)}")
    return None


def waiting_decisions(
    state: SchedulerState, jobs: Mapping[str, JobRules], now: Now, *, producer: str, zone: tzinfo
) -> list[tuple[str, Decision]]:
    """(execution id, decision) of every waiting fire whose wait is over, oldest fire first.

    One run per job at most: the upstream successes that run a fire are used up by it (a later fire of the job
    waits on, decided again once that run is folded in).
    """
    decided: list[tuple[str, Decision]] = []
    released: set[str] = set()
    for run in sorted(state.waiting.values(), key=lambda item: item.scheduled_time):
        decision = decide_waiting(state, jobs.get(run.job_id), run, now, producer=producer, zone=zone)
        if decision is None:
            continue
        if any(isinstance(message, RunQueued) for message in decision.messages):
            if run.job_id in released:
                continue
            released.add(run.job_id)
        decided.append((run.execution_id, decision))
    return decided


def unannounced(state: SchedulerState, refused: Mapping[str, RunWaiting]) -> tuple[RunWaiting, ...]:
    """The `RunWaiting` the bus did not confirm (`refused`, by execution id) still owed, oldest fire first.

    Those of the fires still waiting: a fire released or skipped since is left out, its run or skip
    (published with or before these) stands for its wait.
    """
    waits = (wait for key, wait in refused.items() if key in state.waiting)
    return tuple(sorted(waits, key=lambda wait: wait.scheduled_time))


def _put_back(state: SchedulerState, job_id: str) -> bool:
    """Whether a fire of the job waits again, its run or skip unconfirmed (`rewaited`), its record unread."""
    return any(state.waiting[execution_id].job_id == job_id for execution_id in put_back(state))


def _skip(envelope: dict[str, Any], fields: dict[str, Any], reason: str) -> Decision:
    return Decision((JobSkipped(**envelope, **fields, is_manual=False, reason=reason),), log=reason)
