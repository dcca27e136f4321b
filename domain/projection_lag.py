"""How far behind the event log the read models are, from the projectors' reported states (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from domain.records import ProjectorStateRecord

# A projector that has not reported for this many of its intervals is taken as stopped.
STALE_AFTER_INTERVALS = 3.0


def active_projector(states: Iterable[ProjectorStateRecord]) -> ProjectorStateRecord | None:
    """The projector that applied events last.

    A standby that was active once reports too, with an older `last_applied_at`.
    """
    applied = [state for state in states if state.last_applied_at is not None]
    return max(applied, key=lambda state: (state.last_applied_at, state.updated_at), default=None)


def projection_lag_s(states: Iterable[ProjectorStateRecord], now: datetime) -> float | None:
    """The active projector's lag in seconds; None when no projector has applied anything.

    The lag it reported; if it has stopped reporting, plus the time since its last report (events may be
    waiting that nobody applies).
    """
    active = active_projector(states)
    if active is None:
        return None
    silent = max((now - active.updated_at).total_seconds(), 0.0)
    if silent <= STALE_AFTER_INTERVALS * active.interval_s:
        return active.lag_s
    return active.lag_s + silent
