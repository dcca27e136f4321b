"""The SSE/SZSE trading days as data: which days of a range are trading days, and which years are unknown.

A calendar knows whole years (`years`): a year it does not know is reported missing, never guessed (not
even as "weekdays"). The seed (`domain/calendars/cn_a_share.txt`, written by `python -m
tools.trade_calendar_seed` from the trade-date file akshare ships) makes a fresh install know 2005 to the
last year of that file. Pure: the text is read by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from datetime import timedelta

CN_A_SHARE = "cn_a_share"
SEED_FILE = "cn_a_share.txt"
"""In `domain/calendars/`: a `#` header naming its source, then one `YYYYMMDD` trading day per line."""


class CalendarFormatError(ValueError):
    """A calendar text that cannot be read (the line is named)."""


@dataclass(frozen=True)
class TradeCalendar:
    """Trading days of the years the calendar knows (a known year without a day in `days` is closed)."""

    days: frozenset[date]
    years: frozenset[int]
    source: str = ""


@dataclass(frozen=True)
class TradingDays:
    """The trading days of a range, oldest first, and the years of the range the calendar does not know."""

    days: tuple[date, ...]
    missing_years: tuple[int, ...]

    @property
    def complete(self) -> bool:
        """Whether the calendar knew every year of the range (no trading day is missing for lack of data)."""
        return not self.missing_years


def trading_days_between(calendar: TradeCalendar, start: date, end: date) -> TradingDays:
    """The trading days in [start, end] (both included); the unknown years are named, not guessed."""
    if end < start:
        return TradingDays((), ())
    missing = tuple(year for year in range(start.year, end.year + 1) if year not in calendar.years)
    days = tuple(sorted(day for day in calendar.days if start <= day <= end))
    return TradingDays(days, missing)


def is_trading_day(calendar: TradeCalendar, day: date) -> bool | None:
    """True or False when the calendar knows the day's year; None when it does not."""
    if day.year not in calendar.years:
        return None
    return day in calendar.days


def next_trading_day(calendar: TradeCalendar, after: date, *, limit_days: int = 366) -> date | None:
    """The first trading day after `after` within `limit_days`; None past the known years."""
    day = after
    for _ in range(limit_days):
        day += timedelta(days=1)
        known = is_trading_day(calendar, day)
        if known is None:
            return None
        if known:
            return day
    return None


def parse_calendar(text: str) -> TradeCalendar:
    """A trade calendar parsed from its text.

    A calendar from its text: `# source: …` header lines, then `YYYYMMDD` days; the years it covers are
    every year from the first day's to the last day's.
    """
    days: set[date] = set()
    source = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            if line.lower().startswith("# source:"):
                source = line.split(":", 1)[1].strip()
            continue
        if len(line) != 8 or not line.isdigit():
            raise CalendarFormatError(f"line {number}: {line[:20]!r} is not a YYYYMMDD day")
        try:
            days.add(date(int(line[:4]), int(line[4:6]), int(line[6:])))
        except ValueError as error:
            raise CalendarFormatError(f"line {number}: {error}") from None
    years = frozenset(range(min(days).year, max(days).year + 1)) if days else frozenset()
    return TradeCalendar(frozenset(days), years, source)
