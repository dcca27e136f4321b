"""A timezone's offsets and their changes, found on instants (UTC), never by arithmetic on aware wall times.

Adding a duration to an aware datetime in Python is wall-clock arithmetic and resets `fold`: across an
autumn change it lands an hour off. Everything here converts from UTC instants instead.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from datetime import tzinfo

# Offsets are compared at both ends of spans this long: two changes within one span would go unseen
# (no timezone changes its offset twice within a week).
_PROBE_SPAN = timedelta(days=6)
_SECOND = timedelta(seconds=1)


def offset_at(zone: tzinfo, instant: datetime) -> timedelta:
    """The zone's UTC offset at `instant`; zero for a zone that gives none."""
    offset = instant.astimezone(zone).utcoffset()
    if offset is None:  # a naive zone: treat as UTC
        return timedelta(0)
    return offset


def wall_time(zone: tzinfo, instant: datetime) -> datetime:
    """The naive local wall time of an instant."""
    return (instant + offset_at(zone, instant)).replace(tzinfo=None)


def first_change(zone: tzinfo, after: datetime, until: datetime) -> datetime | None:
    """The first instant in (after, until] whose offset differs from the offset at `after` (UTC, aware)."""
    if isinstance(zone, timezone) or until <= after:
        return None
    offset = offset_at(zone, after)
    start = after.replace(microsecond=0)  # changes happen on whole seconds
    while start < until:
        end = min(start + _PROBE_SPAN, until)
        if offset_at(zone, end) != offset:
            return _bisect_change(zone, start, end, offset)
        start = end
    return None


def _bisect_change(zone: tzinfo, low: datetime, high: datetime, offset: timedelta) -> datetime:
    """Offset is `offset` at `low`, different at `high`: the first whole second where it changes."""
    low_s, high_s = 0, int((high - low).total_seconds()) + 1
    while high_s - low_s > 1:
        middle = (low_s + high_s) // 2
        if offset_at(zone, low + middle * _SECOND) == offset:
            low_s = middle
        else:
            high_s = middle
    return low + high_s * _SECOND


def as_utc(instant: datetime) -> datetime:
    """The same instant in UTC.

    Raises ValueError for a naive datetime: every instant in the scheduler is aware.
    """
    if instant.tzinfo is None:
        raise ValueError(f"an instant must be timezone-aware, got {instant.isoformat()}")
    return instant.astimezone(UTC)
