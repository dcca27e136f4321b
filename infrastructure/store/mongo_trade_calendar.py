"""Trading-day calendars in MongoDB.

Collection `trade_calendar` (`_id` = "<calendar_id>:<YYYY-MM-DD>") and `trade_calendar_years` (`_id` =
"<calendar_id>:<year>": source, sync time and a digest of its days).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from datetime import datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from domain.trade_calendar import TradeCalendar
from infrastructure.store.mongo_client import errors_unavailable
from infrastructure.store.mongo_client import refused_writes
from infrastructure.store.mongo_side_store import MongoSideStore
from infrastructure.store.trade_calendar_port import CalendarYear
from infrastructure.store.trade_calendar_port import calendar_from
from infrastructure.store.trade_calendar_port import days_digest
from infrastructure.store.trade_calendar_port import revision_of

DAYS = "trade_calendar"
YEARS = "trade_calendar_years"


class MongoTradeCalendars(MongoSideStore):
    """The calendars beside the event log, in the same database (the `_id`s are the only keys)."""

    appname = "scheduler-trade-calendar"

    @property
    def _days(self) -> AsyncCollection[dict[str, Any]]:
        return self._database[DAYS]

    @property
    def _years(self) -> AsyncCollection[dict[str, Any]]:
        return self._database[YEARS]

    async def put_years(self, years: Sequence[CalendarYear]) -> list[int]:
        """Write whole years (each replaces that year's days); answers the years that changed."""
        changed: list[int] = []
        with errors_unavailable("trade calendar not stored"):
            for year in years:
                key = f"{year.calendar_id}:{year.year}"
                digest = days_digest(year.days)
                before = await self._years.find_one({"_id": key})
                await self._days.delete_many(_year_selector(year.calendar_id, year.year))
                if year.days:
                    await self._insert_days(year)
                document = {"calendar_id": year.calendar_id, "year": year.year, "source": year.source,
                            "synced_at": year.synced_at, "digest": digest}  # fmt: skip
                await self._years.replace_one({"_id": key}, document, upsert=True)
                if before is None or before.get("digest") != digest:
                    changed.append(year.year)
        return changed

    async def _insert_days(self, year: CalendarYear) -> None:
        """Insert a year's days.

        A day another writer inserted at the same moment (two schedulers seeding at once) is already there,
        which is what was asked.
        """
        documents = [_day_document(year.calendar_id, day) for day in sorted(year.days)]
        try:
            await self._days.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            if refused_writes(error):
                raise

    async def load(self, calendar_id: str) -> TradeCalendar:
        """The calendar as stored."""
        years = {year: source for year, (source, _) in (await self.known_years(calendar_id)).items()}
        with errors_unavailable("trade calendar not read"):
            documents = await self._days.find({"calendar_id": calendar_id}).to_list(None)
        return calendar_from((date.fromisoformat(str(doc["day"])) for doc in documents), years)

    async def known_years(self, calendar_id: str) -> dict[int, tuple[str, datetime]]:
        """Each known year's source and sync time."""
        with errors_unavailable("trade calendar not read"):
            documents = await self._years.find({"calendar_id": calendar_id}).to_list(None)
        return {int(doc["year"]): (str(doc["source"]), doc["synced_at"]) for doc in documents}

    async def revision(self) -> str:
        """A digest of every known year's days."""
        with errors_unavailable("trade calendar not read"):
            documents = await self._years.find({}).to_list(None)
        rows = sorted((str(doc["calendar_id"]), int(doc["year"]), str(doc["digest"])) for doc in documents)
        return revision_of(rows)


def _year_selector(calendar_id: str, year: int) -> dict[str, Any]:
    return {"calendar_id": calendar_id, "day": {"$gte": f"{year:04d}-01-01", "$lte": f"{year:04d}-12-31"}}


def _day_document(calendar_id: str, day: date) -> dict[str, Any]:
    return {"_id": f"{calendar_id}:{day.isoformat()}", "calendar_id": calendar_id, "day": day.isoformat()}
