"""Trading-day calendars in the SQLite database file (tables `trade_calendar`, `trade_calendar_years`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from datetime import date
from datetime import datetime

from domain.trade_calendar import TradeCalendar
from infrastructure.store.sqlite_side_table import SideTable
from infrastructure.store.trade_calendar_port import CalendarYear
from infrastructure.store.trade_calendar_port import calendar_from
from infrastructure.store.trade_calendar_port import days_digest
from infrastructure.store.trade_calendar_port import revision_of

SCHEMA = """
CREATE TABLE IF NOT EXISTS trade_calendar (
    calendar_id TEXT NOT NULL,
    day TEXT NOT NULL,
    PRIMARY KEY (calendar_id, day)
) WITHOUT ROWID
"""
YEARS_SCHEMA = """
CREATE TABLE IF NOT EXISTS trade_calendar_years (
    calendar_id TEXT NOT NULL,
    year INTEGER NOT NULL,
    source TEXT NOT NULL,
    synced_at TEXT NOT NULL,
    digest TEXT NOT NULL,
    PRIMARY KEY (calendar_id, year)
) WITHOUT ROWID
"""


class SQLiteTradeCalendars(SideTable):
    """The calendars beside the event log, over a connection of their own."""

    schema = (SCHEMA, YEARS_SCHEMA)
    not_open = "the trade calendar store is not open"

    async def put_years(self, years: Sequence[CalendarYear]) -> list[int]:
        """Write whole years (each replaces that year's days); answers the years that changed."""
        connection = self._db
        changed: list[int] = []
        for year in years:
            before = await self._days_of(year.calendar_id, year.year)
            known = await self._year_known(year.calendar_id, year.year)
            first, last = f"{year.year:04d}-01-01", f"{year.year:04d}-12-31"
            await connection.execute(
                "DELETE FROM trade_calendar WHERE calendar_id = ? AND day BETWEEN ? AND ?",
                (year.calendar_id, first, last),
            )
            await connection.executemany(
                "INSERT INTO trade_calendar VALUES (?, ?)",
                [(year.calendar_id, day.isoformat()) for day in sorted(year.days)],
            )
            await connection.execute(
                "INSERT OR REPLACE INTO trade_calendar_years VALUES (?, ?, ?, ?, ?)",
                (year.calendar_id, year.year, year.source, _utc_text(year.synced_at), days_digest(year.days)),
            )
            if not known or before != year.days:
                changed.append(year.year)
        await connection.commit()
        return changed

    async def load(self, calendar_id: str) -> TradeCalendar:
        """The calendar as stored."""
        years = {year: source for year, (source, _) in (await self.known_years(calendar_id)).items()}
        async with self._db.execute(
            "SELECT day FROM trade_calendar WHERE calendar_id = ?", (calendar_id,)
        ) as cursor:
            rows = await cursor.fetchall()
        return calendar_from((date.fromisoformat(row[0]) for row in rows), years)

    async def known_years(self, calendar_id: str) -> dict[int, tuple[str, datetime]]:
        """Each known year's source and sync time."""
        async with self._db.execute(
            "SELECT year, source, synced_at FROM trade_calendar_years WHERE calendar_id = ?", (calendar_id,)
        ) as cursor:
            rows = await cursor.fetchall()
        return {int(row[0]): (str(row[1]), datetime.fromisoformat(row[2])) for row in rows}

    async def revision(self) -> str:
        """A digest of every known year's days."""
        async with self._db.execute(
            "SELECT calendar_id, year, digest FROM trade_calendar_years ORDER BY calendar_id, year"
        ) as cursor:
            rows = await cursor.fetchall()
        return revision_of((str(row[0]), int(row[1]), str(row[2])) for row in rows)

    async def _days_of(self, calendar_id: str, year: int) -> frozenset[date]:
        async with self._db.execute(
            "SELECT day FROM trade_calendar WHERE calendar_id = ? AND day BETWEEN ? AND ?",
            (calendar_id, f"{year:04d}-01-01", f"{year:04d}-12-31"),
        ) as cursor:
            rows = await cursor.fetchall()
        return frozenset(date.fromisoformat(row[0]) for row in rows)

    async def _year_known(self, calendar_id: str, year: int) -> bool:
        async with self._db.execute(
            "SELECT 1 FROM trade_calendar_years WHERE calendar_id = ? AND year = ?", (calendar_id, year)
        ) as cursor:
            return await cursor.fetchone() is not None


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
