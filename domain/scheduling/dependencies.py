"""What the end of an upstream run becomes for the jobs that run after it (`after:` triggers): pure.

For each downstream job of the upstream that ended:
- a `failed`, `missed`, `cancelled` or upstream-skipped end (a `partial` one unless the downstream's policy
  has `accept_partial`) records one downstream execution `skipped` with the reason
  `upstream_failed: <job_id> <execution_id>`;
- otherwise, once every upstream's latest end is a success since the downstream's last run and within its
  window, the downstream runs, caused by the newest of those ends; when those ends' runs all worked on the
  same days (a backfill's day: `start_date`/`end_date` or `trade_date` in their kwargs) and the downstream's
  kind takes dates, it runs for those days too (`range_kwargs`), else with its own kwargs (today's data).

The window (`within_window`) is the calendar day of the decision in the job's timezone (`window: day`, the
default of a new `after` configuration), or the `window_s` seconds before it (`rolling`, or no `window`).

Execution ids are deterministic (uuid5 of the downstream and the upstream execution ids), so a redelivered
`JobFinished` or a new leader deciding again finds the execution and does nothing (`decide_fire`, rule 1);
the days come from the ends in the progress (the runs' kwargs, folded or rebuilt), so they are the same too.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import tzinfo

from domain.run_policy import RunPolicy
from domain.scheduling.date_range import range_kwargs
from domain.scheduling.fire import Fire
from domain.scheduling.progress import UPSTREAM_REASON_PREFIX
from domain.scheduling.progress import UpstreamEnd
from domain.scheduling.state import SchedulerState

_AFTER_NAMESPACE = uuid.UUID("1b1d4c0e-8a0f-4f57-9d3e-5d1c2a7f4b60")


@dataclass(frozen=True)
class Downstream:
    """A job with an `after:` trigger, as the decider sees it.

    Its upstream jobs, its policy (`accept_partial`, `window`, `window_s`), the timezone its day window is
    counted in, and its kind (which dates its runs take).
    """

    job_id: str
    upstreams: tuple[str, ...]
    policy: RunPolicy
    zone: tzinfo = UTC
    job_kind: str = ""


def dependency_run_id(job_id: str, upstream_execution_ids: list[str]) -> str:
    """The execution id of a downstream run caused by these upstream executions (any order)."""
    return uuid.uuid5(_AFTER_NAMESPACE, f"{job_id}|run|{','.join(sorted(upstream_execution_ids))}").hex


def dependency_skip_id(job_id: str, upstream_execution_id: str) -> str:
    """The execution id of the downstream's skip recorded for one failed upstream execution."""
    return uuid.uuid5(_AFTER_NAMESPACE, f"{job_id}|skip|{upstream_execution_id}").hex


def succeeded(end: UpstreamEnd, policy: RunPolicy) -> bool:
    """Whether an upstream end lets its downstream run (a `partial` one only with `accept_partial`)."""
    return end.status == "success" or (end.status == "partial" and policy.accept_partial)


def fires_after(
    state: SchedulerState, downstreams: Mapping[str, Downstream], upstream_id: str, now: datetime
) -> list[Fire]:
    """What the latest end of `upstream_id` (in the state) becomes for each job that runs after it."""
    end = state.progress.ends.get(upstream_id)
    if end is None:
        return []
    fires: list[Fire] = []
    for downstream in _after(downstreams, upstream_id):
        if not succeeded(end, downstream.policy):
            fires.append(skip_fire(downstream.job_id, upstream_id, end))
            continue
        fire = ready_fire(state, downstream, now)
        if fire is not None:
            fires.append(fire)
    return fires


def pending_fires(state: SchedulerState, downstreams: Mapping[str, Downstream], now: datetime) -> list[Fire]:
    """Every fire the progress calls for.

    What a leader taking office decides: ready runs, and the skips of upstream failures within the window
    since the downstream's last run. Deciding them again changes nothing.
    """
    fires: list[Fire] = []
    for downstream in downstreams.values():
        last_run = state.progress.last_runs.get(downstream.job_id)
        for upstream_id in downstream.upstreams:
            end = state.progress.ends.get(upstream_id)
            if end is None or succeeded(end, downstream.policy) or not _fresh(end, downstream, last_run, now):
                continue
            fires.append(skip_fire(downstream.job_id, upstream_id, end))
        fire = ready_fire(state, downstream, now)
        if fire is not None:
            fires.append(fire)
    return fires


def skip_fire(job_id: str, upstream_id: str, end: UpstreamEnd) -> Fire:
    """The downstream's skipped execution for one failed upstream execution."""
    return Fire(
        job_id=job_id,
        scheduled_time=end.at,
        execution_id=dependency_skip_id(job_id, end.execution_id),
        origin="upstream",
        cause=end.cause,
        refusal=f"{UPSTREAM_REASON_PREFIX}{upstream_id} {end.execution_id}",
    )


def ready_fire(state: SchedulerState, downstream: Downstream, now: datetime) -> Fire | None:
    """The downstream's run when every upstream succeeded since its last run and within its window."""
    last_run = state.progress.last_runs.get(downstream.job_id)
    ends: list[UpstreamEnd] = []
    for upstream_id in downstream.upstreams:
        end = state.progress.ends.get(upstream_id)
        if end is None or not succeeded(end, downstream.policy):
            return None
        if not _fresh(end, downstream, last_run, now):
            return None
        ends.append(end)
    if not ends:
        return None
    newest = max(ends, key=lambda item: item.at)
    execution_id = dependency_run_id(downstream.job_id, [end.execution_id for end in ends])
    kwargs = _days_kwargs(downstream, ends)
    return Fire(
        downstream.job_id, newest.at, execution_id, origin="upstream", kwargs=kwargs, cause=newest.cause
    )


def _days_kwargs(downstream: Downstream, ends: list[UpstreamEnd]) -> dict[str, str]:
    """The dates that give the downstream its upstream runs' days: none unless they all worked on the same."""
    days = {end.days for end in ends}
    if len(days) != 1:
        return {}
    (shared,) = days
    return range_kwargs(downstream.job_kind, shared) if shared is not None else {}


def _fresh(end: UpstreamEnd, downstream: Downstream, last_run: datetime | None, now: datetime) -> bool:
    """Since the downstream's last run, and within its window."""
    return counts(end, downstream.policy, last_run, now, downstream.zone)


def counts(
    end: UpstreamEnd, policy: RunPolicy, last_run: datetime | None, reference: datetime, zone: tzinfo
) -> bool:
    """Whether an upstream end is one the downstream follows.

    After its last run, and within its window of `reference` (the decision, or the fire a waiting run waits
    for).
    """
    if last_run is not None and end.at <= last_run:
        return False
    return within_window(end.at, policy, reference, zone)


def within_window(at: datetime, policy: RunPolicy, reference: datetime, zone: tzinfo) -> bool:
    """Whether `at` is within the downstream's window of `reference`.

    `day`: on the calendar day of `reference` in `zone` (or after it: what a waiting fire waits for);
    otherwise within `window_s` seconds before `reference`.
    """
    if policy.window == "day":
        return at >= reference or at.astimezone(zone).date() == reference.astimezone(zone).date()
    return at >= reference - timedelta(seconds=policy.window_s)


def _after(downstreams: Mapping[str, Downstream], upstream_id: str) -> Iterator[Downstream]:
    return (downstream for downstream in downstreams.values() if upstream_id in downstream.upstreams)
