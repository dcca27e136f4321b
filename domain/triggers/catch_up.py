"""The fire instants of a trigger within a span, for catch-up after an outage: the newest kept, bounded."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from domain.triggers.interval import IntervalTrigger
from domain.triggers.protocol import Trigger
from domain.triggers.zone_clock import as_utc


@dataclass(frozen=True)
class Instants:
    """Instants in (start, end], oldest first, at most the cap; `dropped` older ones were left out."""

    instants: tuple[datetime, ...]
    dropped: int


def instants_between(trigger: Trigger, start: datetime, end: datetime, *, cap: int) -> Instants:
    """The trigger's fire instants in (start, end], the newest `cap` of them kept, oldest first.

    Raises ValueError if `cap` is negative or an instant is naive. Interval triggers are counted rather
    than walked, so a long outage costs nothing.
    """
    if cap < 0:
        raise ValueError("the cap is not negative")
    start, end = as_utc(start), as_utc(end)
    if isinstance(trigger, IntervalTrigger):
        return _interval_instants(trigger, start, end, cap)
    kept: deque[datetime] = deque(maxlen=cap)
    total = 0
    at = start
    while (instant := trigger.next_after(at)) is not None and instant <= end:
        if instant <= at:
            raise RuntimeError(f"{trigger!r} did not move forward after {at.isoformat()}")
        kept.append(instant)
        total += 1
        at = instant
    return Instants(tuple(kept), total - len(kept))


def _interval_instants(trigger: IntervalTrigger, start: datetime, end: datetime, cap: int) -> Instants:
    """Counted, not walked: an outage of weeks of a 10-second job is a quarter million fires."""
    total = trigger.count_between(start, end)
    kept = min(total, cap)
    if kept == 0:
        return Instants((), total)
    period = timedelta(seconds=trigger.seconds)
    last = trigger.next_after(end - period)
    assert last is not None and last <= end
    instants = tuple(last - period * index for index in range(kept - 1, -1, -1))
    return Instants(instants, total - kept)
