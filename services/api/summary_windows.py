"""The overview's time windows.

The last 24 hours by hour and the last 14 days by day, in the display timezone, each series ending with the
current (partial) hour or day. Days follow the zone's calendar, so a day with a daylight-saving change is 23
or 25 hours long.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

HOURS = 24
DAYS = 14


def hour_boundaries(now: datetime, zone: ZoneInfo, hours: int = HOURS) -> list[datetime]:
    """`hours + 1` instants: the start of each hour window, then the end of the current hour (UTC)."""
    local = now.astimezone(zone)
    current = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
    return [current - timedelta(hours=hours - 1 - index) for index in range(hours + 1)]


def day_boundaries(now: datetime, zone: ZoneInfo, days: int = DAYS) -> list[datetime]:
    """`days + 1` instants: local midnight of each day window, then the next midnight (UTC)."""
    today = now.astimezone(zone).date()
    dates = [today - timedelta(days=days - 1 - index) for index in range(days + 1)]
    return [datetime.combine(day, time(), tzinfo=zone).astimezone(UTC) for day in dates]
