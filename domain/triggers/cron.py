"""A cron trigger in a timezone: matching wall times mapped to instants, with the daylight saving policy.

The timeline is walked one stretch of constant UTC offset at a time: within a stretch wall time and instant
move together; at a change forward, the wall times in the gap fire once at the change (policy `shift`); at a
change back, the repeated wall times fire at their first occurrence only (policy `first`).
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import tzinfo

from domain.triggers.cron_calendar import WallCalendar
from domain.triggers.cron_fields import CronFields
from domain.triggers.dst import DEFAULT_DST_POLICY
from domain.triggers.dst import DstPolicy
from domain.triggers.zone_clock import as_utc
from domain.triggers.zone_clock import first_change
from domain.triggers.zone_clock import offset_at
from domain.triggers.zone_clock import wall_time

# Each step crosses an offset change or one repeated wall time: a repeated hour of a minutely job is 60.
_MAX_STEPS = 10_000


class CronTrigger:
    """A five-field cron expression read on the wall clock of a time zone, with a daylight-saving policy."""

    def __init__(self, cron: CronFields, zone: tzinfo, dst: DstPolicy = DEFAULT_DST_POLICY) -> None:
        self.cron = cron
        self.zone = zone
        self.dst = dst
        self._calendar = WallCalendar(cron)

    def next_after(self, instant: datetime) -> datetime | None:
        """First fire instant strictly after `instant` (UTC), None if it never fires again."""
        at = as_utc(instant)
        inclusive = False  # at the start of a stretch (an offset change), its first wall time counts
        for _ in range(_MAX_STEPS):
            offset = offset_at(self.zone, at)
            wall = self._calendar.first_from(wall_time(self.zone, at), inclusive=inclusive)
            if wall is None:
                return None
            candidate = (wall - offset).replace(tzinfo=UTC)
            change = first_change(self.zone, at, candidate)
            if change is None:
                if self.dst.repeated == "first" and self._repeated(wall, candidate):
                    at, inclusive = candidate, False
                    continue
                return candidate
            forward = offset_at(self.zone, change) > offset
            if forward and self.dst.skipped == "shift" and wall < wall_time(self.zone, change):
                return change  # the wall time fell into the gap: once, at the first valid instant
            at, inclusive = change, True
        raise RuntimeError(f"no fire found within {_MAX_STEPS} steps after {instant.isoformat()}")

    def _repeated(self, wall: datetime, candidate: datetime) -> bool:
        """The wall time occurred earlier too (a change back): this is its second occurrence."""
        first = wall.replace(tzinfo=self.zone, fold=0).astimezone(UTC)
        return first != candidate

    def __repr__(self) -> str:
        fields = self.cron
        text = " ".join(
            f.text
            for f in (fields.minute, fields.hour, fields.day_of_month, fields.month, fields.day_of_week)
        )
        return f"CronTrigger({text!r}, zone={self.zone}, dst={self.dst})"
