"""Trigger specifications from settings, turned into APScheduler 3 triggers.

Accepted forms (in the configured timezone):
- a 5-field crontab expression, e.g. `*/5 9-15 * * 1-5` (day of week as in crontab: 0 or 7 = Sunday);
- `HH:MM`, daily at that time;
- `interval:SECONDS`, e.g. `interval:360` (aligned on multiples of the interval since 2000-01-01 local time,
  so fires fall at the same instants whichever scheduler computes them).

APScheduler 3 numbers weekdays from Monday = 0, unlike crontab (its issue 286): the day-of-week field is
rewritten with day names here, so `1-5` means Monday to Friday as an operator expects.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_DAILY = re.compile(r"^(\d{1,2}):(\d{2})$")
_INTERVAL = re.compile(r"^interval:(\d+)$")


class TriggerSpecError(ValueError):
    """A trigger setting that cannot be understood; the message names the value and why."""


def build_trigger(spec: str, timezone: tzinfo) -> BaseTrigger:
    text = spec.strip()
    if match := _DAILY.match(text):
        hour, minute = int(match[1]), int(match[2])
        if hour > 23 or minute > 59:
            raise TriggerSpecError(f"invalid time of day {spec!r} (expected HH:MM, 00:00-23:59)")
        return CronTrigger(hour=hour, minute=minute, timezone=timezone)
    if match := _INTERVAL.match(text):
        seconds = int(match[1])
        if seconds < 1:
            raise TriggerSpecError(f"invalid interval {spec!r} (at least 1 second)")
        # A fixed anchor keeps the phase: every scheduler (and every restart) fires at the same instants.
        anchor = datetime(2000, 1, 1, tzinfo=timezone)
        return IntervalTrigger(seconds=seconds, start_date=anchor, timezone=timezone)
    fields = text.split()
    if len(fields) != 5:
        raise TriggerSpecError(
            f"invalid trigger {spec!r}: expected a 5-field cron expression, HH:MM or interval:SECONDS"
        )
    minutes, hours, days, months, weekdays = fields
    try:
        return CronTrigger(
            minute=minutes,
            hour=hours,
            day=days,
            month=months,
            day_of_week=crontab_days_to_names(weekdays),
            timezone=timezone,
        )
    except ValueError as error:
        raise TriggerSpecError(f"invalid cron expression {spec!r}: {error}") from None


def crontab_days_to_names(field: str) -> str:
    """Rewrite a crontab day-of-week field (0/7 = Sunday) as APScheduler day names."""
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        days |= _expand_part(part.strip().lower(), field)
    return ",".join(_DAY_NAMES[day] for day in sorted(days, key=lambda d: (d + 6) % 7))


def _expand_part(part: str, field: str) -> set[int]:
    base, _, step_text = part.partition("/")
    step = _as_int(step_text, field) if step_text else 1
    if step < 1:
        raise TriggerSpecError(f"invalid day-of-week step in {field!r}")
    if base == "*":
        first, last = 0, 6
    elif "-" in base:
        start, _, end = base.partition("-")
        first, last = _day_number(start, field), _day_number(end, field)
        if last == 0 and end.strip() in ("7",):
            last = 7
        if first > last:
            raise TriggerSpecError(f"invalid day-of-week range {part!r} in {field!r}")
    else:
        first = last = _day_number(base, field)
    return {day % 7 for day in range(first, last + 1, step)}


def _day_number(text: str, field: str) -> int:
    if text in _DAY_NAMES:
        return _DAY_NAMES.index(text)
    number = _as_int(text, field)
    if not 0 <= number <= 7:
        raise TriggerSpecError(f"invalid day of week {text!r} in {field!r} (0-7, 0 and 7 = Sunday)")
    return number % 7


def _as_int(text: str, field: str) -> int:
    if not text.isdigit():
        raise TriggerSpecError(f"invalid day of week {text!r} in {field!r}")
    return int(text)


def describe(trigger: BaseTrigger) -> str:
    """The human-readable trigger text the web client shows (APScheduler's own rendering)."""
    return str(trigger)
