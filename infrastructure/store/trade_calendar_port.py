"""The trading-day calendars in the store: the days of each calendar and the whole years it knows.

A year is written whole (`put_years`: its trading days, its source, when it was synced) and replaces the
stored days of that year only; a year never written stays unknown (never guessed). Nothing deletes a
known year. A fresh store is seeded from the committed file (`seed_if_empty`, idempotent). The scheduler
and the API read the calendars (`load`), the calendar sync job writes them; `revision` is a cheap check of
whether anything changed since the last read.
Adapters: `sqlite_trade_calendar.SQLiteTradeCalendars` (tables `trade_calendar`, `trade_calendar_years`)
and `mongo_trade_calendar.MongoTradeCalendars` (collections of the same names).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from typing import Protocol

from domain.trade_calendar import TradeCalendar
from infrastructure.store.lifecycle_port import Lifecycle


@dataclass(frozen=True)
class CalendarYear:
    """One whole year of a calendar: its trading days, where they came from and when they were synced."""

    calendar_id: str
    year: int
    days: frozenset[date]
    source: str
    synced_at: datetime


class TradeCalendarStore(Lifecycle, Protocol):
    """Where the trading-day calendars are kept (see the module's docstring)."""

    async def put_years(self, years: Sequence[CalendarYear]) -> list[int]:
        """Write whole years (upsert); answers the years whose days or presence changed."""

    async def load(self, calendar_id: str) -> TradeCalendar:
        """The calendar as stored: its days and the years it knows (empty when none)."""

    async def known_years(self, calendar_id: str) -> dict[int, tuple[str, datetime]]:
        """Each known year's source and sync time."""

    async def revision(self) -> str:
        """Changes whenever a year is written with other days (a cheap check before a reload)."""


def years_of(
    calendar: TradeCalendar, calendar_id: str, synced_at: datetime, *, source: str | None = None
) -> list[CalendarYear]:
    """A calendar split into whole years (a known year without a day is closed all year)."""
    by_year: dict[int, set[date]] = {year: set() for year in calendar.years}
    for day in calendar.days:
        by_year.setdefault(day.year, set()).add(day)
    return [
        CalendarYear(calendar_id, year, frozenset(days), source or calendar.source, synced_at)
        for year, days in sorted(by_year.items())
    ]


def calendar_from(days: Iterable[date], years: Mapping[int, str]) -> TradeCalendar:
    """A calendar from stored days and known years (the sources joined, oldest year's first)."""
    known = frozenset(years)
    sources = list(dict.fromkeys(years[year] for year in sorted(years)))
    kept = frozenset(day for day in days if day.year in known)
    return TradeCalendar(kept, known, ", ".join(source for source in sources if source))


async def seed_if_empty(
    store: TradeCalendarStore, calendar_id: str, seed: TradeCalendar, now: datetime
) -> int:
    """Write the seed's years the store does not know yet; how many were written.

    Run at every start: a no-op once seeded. A year the store knows (maybe synced since) is never overwritten.
    """
    known = await store.known_years(calendar_id)
    missing = [year for year in years_of(seed, calendar_id, now) if year.year not in known]
    if missing:
        await store.put_years(missing)
    return len(missing)


def days_digest(days: Iterable[date]) -> str:
    """A short digest of a year's trading days (what `revision` sums up)."""
    text = ",".join(day.isoformat() for day in sorted(days))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def revision_of(rows: Iterable[tuple[str, int, str]]) -> str:
    """One digest of every (calendar, year, days digest), in that order."""
    text = ";".join(f"{calendar_id}:{year}:{digest}" for calendar_id, year, digest in rows)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
