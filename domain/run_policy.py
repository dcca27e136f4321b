"""Decisions about runs, as pure functions: overlap, retry backoff, catch-up after downtime, stuck runs.

Nothing here does I/O or reads a clock: callers pass the current time and what they know.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Literal

OverlapPolicy = Literal["skip", "allow"]
MIN_WINDOW_S = 60.0
MAX_WINDOW_S = 7 * 86_400.0
DEFAULT_WINDOW_S = 86_400.0
MIN_WAIT_TIMEOUT_S = 60.0
MAX_WAIT_TIMEOUT_S = 86_400.0
DEFAULT_WAIT_TIMEOUT_S = 7_200.0
OPTIONAL_POLICY_FIELDS = (
    "overlap",
    "max_concurrent",
    "catch_up",
    "max_attempts",
    "retry_backoff_s",
    "timeout_s",
    "accept_partial",
    "window",
    "window_s",
    "wait_timeout_s",
)
"""The `RunPolicy` fields a job's settings or its definition may set one by one (unset: the default)."""
WindowKind = Literal["day", "rolling"]
"""`day`: upstream successes count on the calendar day (job's timezone) of the downstream's fire or
decision; `rolling`: within `window_s` seconds before it."""
CatchUpPolicy = Literal["skip", "latest"]


@dataclass(frozen=True)
class RunPolicy:
    """How a job's runs behave; every field has a safe default."""

    overlap: OverlapPolicy = "skip"
    max_concurrent: int = 1
    catch_up: CatchUpPolicy = "skip"
    max_catch_up_records: int = 100
    max_attempts: int = 1
    retry_backoff_s: float = 30.0
    retry_backoff_max_s: float = 600.0
    timeout_s: float | None = None
    # dependencies (`after:` triggers): a `partial` upstream counts as done only with `accept_partial`;
    # every upstream must have succeeded within `window_s` seconds before the downstream runs.
    accept_partial: bool = False
    window_s: float = DEFAULT_WINDOW_S
    # `window`: None (the settings' jobs from before it existed) is the rolling `window_s`; new `after`
    # configurations get `day` (`domain.scheduling.definitions.with_dependency_defaults`).
    window: WindowKind | None = None
    # a time trigger that waits at its fire for these jobs (status `waiting`, up to `wait_timeout_s`)
    after: tuple[str, ...] = ()
    wait_timeout_s: float = DEFAULT_WAIT_TIMEOUT_S
    # `policy.calendar`: fires only on this exchange calendar's trading days (`domain.triggers.trading_days`)
    calendar: str | None = None


def overlap_refusal(policy: RunPolicy, active_runs: int) -> str | None:
    """Why a new run must be skipped because of runs still active, or None if it may start.

    Nothing bypasses it: `force` only lifts the trading-time check of the workers' jobs.
    """
    if policy.overlap == "skip" and active_runs > 0:
        return f"skipped: {active_runs} run(s) of this job still active (overlap policy: skip)"
    if policy.overlap == "allow" and active_runs >= policy.max_concurrent:
        return (
            f"skipped: {active_runs} run(s) of this job active, the maximum is {policy.max_concurrent} "
            "(overlap policy: allow)"
        )
    return None


def retry_delay_s(
    policy: RunPolicy, failed_attempt: int, *, jitter: Callable[[], float] = random.random
) -> float:
    """Exponential backoff with full jitter on the upper half: base·2^(n-1), capped, times [0.5, 1)."""
    ceiling = min(policy.retry_backoff_s * 2.0 ** (failed_attempt - 1), policy.retry_backoff_max_s)
    return ceiling * (0.5 + jitter() / 2)


def may_retry(policy: RunPolicy, failed_attempt: int) -> bool:
    """Whether a run whose attempt `failed_attempt` (1-based) failed may be tried again under `policy`."""
    return failed_attempt < policy.max_attempts


@dataclass(frozen=True)
class CatchUp:
    """What to do with the fires that fell in a downtime: record these as missed, run that one."""

    missed: tuple[datetime, ...]
    run: datetime | None
    dropped: int


def catch_up(policy: RunPolicy, fire_times: Iterable[datetime]) -> CatchUp:
    """Fires due while no scheduler ran (oldest first): bounded records, latest run once if asked."""
    times = list(fire_times)
    run = times.pop() if times and policy.catch_up == "latest" else None
    kept = times[-policy.max_catch_up_records :] if policy.max_catch_up_records else []
    return CatchUp(missed=tuple(kept), run=run, dropped=len(times) - len(kept))


def fires_between(
    next_fire: Callable[[datetime | None, datetime], datetime | None],
    first: datetime,
    until: datetime,
    *,
    limit: int = 10_000,
) -> list[datetime]:
    """Fire times from `first` (included) up to `until` (excluded), at most `limit` of them."""
    times: list[datetime] = []
    current: datetime | None = first
    while current is not None and current < until and len(times) < limit:
        times.append(current)
        current = next_fire(current, current + timedelta(microseconds=1))
    return times


def is_lost(last_seen: datetime, now: datetime, heartbeat_timeout_s: float) -> bool:
    """A run is lost when nothing was heard of it (start, progress, heartbeat) for longer than the timeout."""
    return (now - last_seen).total_seconds() > heartbeat_timeout_s
