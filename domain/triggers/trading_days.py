"""A trigger limited to exchange trading days (`policy.calendar`): fires on other days are skipped.

A fire whose local date (in the trigger's zone) is a known non-trading day is skipped, as crontab skips a
day that does not match (never a missed run). A fire in a year the calendar does not know is passed
through unchanged: this trigger does not guess, and the firing step refuses it (see
`fire_day_verdict`); the previews stop there and name the year.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import tzinfo
from typing import Literal

from domain.trade_calendar import CN_A_SHARE
from domain.trade_calendar import TradeCalendar
from domain.trade_calendar import is_trading_day
from domain.triggers.protocol import Trigger

KNOWN_CALENDARS = (CN_A_SHARE,)
"""The calendar ids a job's `policy.calendar` may name."""
NO_CALENDAR = "none"
"""The value that removes a job's calendar (`policy.calendar: "none"`)."""
_MAX_SKIPPED_DAYS = 1_000
_TICK = timedelta(microseconds=1)

CalendarSource = Callable[[], TradeCalendar | None]
"""The current calendar (it may be reloaded between two calls); None while none is loaded."""
DayVerdict = Literal["trading", "closed", "unknown"]


def calendar_of(policy: object) -> str | None:
    """The calendar id a policy (mapping or RunPolicy-like object) limits a job to, or None."""
    value = policy.get("calendar") if isinstance(policy, Mapping) else getattr(policy, "calendar", None)
    return value if isinstance(value, str) and value in KNOWN_CALENDARS else None


def fire_day_verdict(calendar: TradeCalendar | None, instant: datetime, zone: tzinfo) -> DayVerdict:
    """Whether the local date of `instant` is a trading day, a closed day or in a year not known."""
    if calendar is None:
        return "unknown"
    known = is_trading_day(calendar, instant.astimezone(zone).date())
    if known is None:
        return "unknown"
    return "trading" if known else "closed"


def _end_of_local_day(day: date, zone: tzinfo) -> datetime:
    """The last microsecond before the local midnight that starts the next day (as a UTC instant)."""
    midnight = datetime.combine(day + timedelta(days=1), time.min).replace(tzinfo=zone)
    return midnight.astimezone(UTC) - _TICK


@dataclass(frozen=True)
class TradingDayTrigger:
    """`inner`'s fires that fall on trading days (and those of unknown years, left to the caller)."""

    inner: Trigger
    zone: tzinfo
    calendar: CalendarSource

    def next_after(self, instant: datetime) -> datetime | None:
        """First fire strictly after `instant` whose local day is not a known non-trading day."""
        current = instant
        calendar = self.calendar()
        for _ in range(_MAX_SKIPPED_DAYS):
            fire = self.inner.next_after(current)
            if fire is None or fire_day_verdict(calendar, fire, self.zone) != "closed":
                return fire
            # the whole local day is closed: continue after its end, not fire by fire
            current = max(fire, _end_of_local_day(fire.astimezone(self.zone).date(), self.zone))
        return None


def missing_years_ahead(
    trigger: Trigger, calendar: TradeCalendar | None, zone: tzinfo, after: datetime, count: int
) -> tuple[list[datetime], tuple[int, ...]]:
    """The next `count` fires in known years, and the first year the calendar does not know.

    The fires stop at the first fire of a year the calendar does not know; that year is named (never guessed).
    """
    fires: list[datetime] = []
    current = after
    while len(fires) < count:
        fire = trigger.next_after(current)
        if fire is None:
            break
        if fire_day_verdict(calendar, fire, zone) == "unknown":
            return fires, (fire.astimezone(zone).year,)
        fires.append(fire)
        current = fire
    return fires, ()
