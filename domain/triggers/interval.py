"""An interval trigger: every N seconds from an anchor instant, pure arithmetic on instants."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from domain.triggers.zone_clock import as_utc


class IntervalTrigger:
    """Fires every `seconds` seconds counted from a fixed `anchor` instant, whatever the wall clock says."""

    def __init__(self, seconds: int, anchor: datetime) -> None:
        if seconds < 1:
            raise ValueError("an interval is at least 1 second")
        self.seconds = seconds
        self.anchor = as_utc(anchor)
        self._period_us = seconds * 1_000_000

    def next_after(self, instant: datetime) -> datetime | None:
        """The first anchor-aligned instant strictly after `instant` (UTC); never None."""
        elapsed_us = _microseconds(as_utc(instant) - self.anchor)
        periods = max(elapsed_us // self._period_us + 1, 0)
        return self.anchor + timedelta(microseconds=periods * self._period_us)

    def count_between(self, start: datetime, end: datetime) -> int:
        """How many fires fall in (start, end]."""
        first = self.next_after(start)
        if first is None or first > as_utc(end):
            return 0
        return _microseconds(as_utc(end) - first) // self._period_us + 1

    def __repr__(self) -> str:
        return f"IntervalTrigger({self.seconds} s from {self.anchor.isoformat()})"


def _microseconds(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
