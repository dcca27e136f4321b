"""Matching wall times of a cron expression: naive local datetimes, minute by minute in calendar order.

No timezone here: `cron.py` maps wall times to instants (and applies the daylight saving time policy).
"""

from __future__ import annotations

import bisect
from datetime import datetime
from datetime import timedelta

from domain.triggers.cron_fields import CronFields

# A date field combination may be rare (29 February on a given weekday), never absent: refused at parsing.
SEARCH_YEARS = 30
_DAY = timedelta(days=1)
_HOUR = timedelta(hours=1)
_MINUTE = timedelta(minutes=1)


class WallCalendar:
    """The wall times a cron expression matches (seconds always 0)."""

    def __init__(self, cron: CronFields) -> None:
        self.cron = cron
        self._months = sorted(cron.month.values)
        self._hours = sorted(cron.hour.values)
        self._minutes = sorted(cron.minute.values)

    def day_matches(self, day: datetime) -> bool:
        """Whether the day fields allow `day` (crontab's rule: both restricted, either matches)."""
        in_month = day.day in self.cron.day_of_month.values
        in_week = (day.isoweekday() % 7) in self.cron.day_of_week.values
        return in_month or in_week if self.cron.days_either else in_month and in_week

    def matches(self, wall: datetime) -> bool:
        """Whether a wall-clock time, on a whole minute, is one the cron expression fires at."""
        return (
            wall.second == 0
            and wall.microsecond == 0
            and wall.minute in self.cron.minute.values
            and wall.hour in self.cron.hour.values
            and wall.month in self.cron.month.values
            and self.day_matches(wall)
        )

    def first_from(self, start: datetime, *, inclusive: bool) -> datetime | None:
        """The first matching wall time at or after (`inclusive`) or strictly after `start` (naive)."""
        floor = start.replace(second=0, microsecond=0)
        wall = floor if inclusive and floor == start else floor + _MINUTE
        last_year = min(wall.year + SEARCH_YEARS, datetime.max.year - 1)
        while wall.year <= last_year:
            moved = self._advance(wall)
            if moved is None:
                return wall
            wall = moved
        return None

    def _advance(self, wall: datetime) -> datetime | None:
        """None when `wall` matches; otherwise the next wall time that could (skipping what cannot)."""
        if wall.month not in self.cron.month.values:
            index = bisect.bisect_right(self._months, wall.month)
            if index < len(self._months):
                return datetime(wall.year, self._months[index], 1)
            return datetime(wall.year + 1, self._months[0], 1)
        if not self.day_matches(wall):
            return datetime(wall.year, wall.month, wall.day) + _DAY
        if wall.hour not in self.cron.hour.values:
            index = bisect.bisect_right(self._hours, wall.hour)
            if index < len(self._hours):
                return wall.replace(hour=self._hours[index], minute=0)
            return datetime(wall.year, wall.month, wall.day) + _DAY
        if wall.minute not in self.cron.minute.values:
            index = bisect.bisect_right(self._minutes, wall.minute)
            if index < len(self._minutes):
                return wall.replace(minute=self._minutes[index])
            return wall.replace(minute=0) + _HOUR
        return None
