"""The trading-day calendars as the API reads them (previews, health): from the store, kept a minute.

Without a store (tests, a process not given one) or while it cannot be read, the committed seed answers:
the same days a fresh install knows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date

from domain.trade_calendar import CN_A_SHARE
from domain.trade_calendar import TradeCalendar
from domain.triggers.trading_days import KNOWN_CALENDARS
from infrastructure.store.trade_calendar_port import TradeCalendarStore
from infrastructure.trade_calendar_seed import seed_calendar

logger = logging.getLogger(__name__)

CACHE_S = 60.0
SEEDS: dict[str, Callable[[], TradeCalendar]] = {CN_A_SHARE: seed_calendar}


class ApiCalendars:
    """Each known calendar, read from the store at most once per `CACHE_S`."""

    def __init__(
        self,
        store: TradeCalendarStore | None = None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._monotonic = monotonic
        self._cached: dict[str, tuple[float, TradeCalendar]] = {}

    async def get(self, calendar_id: str) -> TradeCalendar | None:
        """The calendar (None for an id not known)."""
        if calendar_id not in KNOWN_CALENDARS:
            return None
        cached = self._cached.get(calendar_id)
        now = self._monotonic()
        if cached is not None and now - cached[0] < CACHE_S:
            return cached[1]
        calendar = await self._read(calendar_id)
        self._cached[calendar_id] = (now, calendar)
        return calendar

    async def missing_years(self, calendar_id: str, years: range) -> list[int]:
        """The years of `years` the calendar does not know."""
        calendar = await self.get(calendar_id)
        known = calendar.years if calendar is not None else frozenset()
        return [year for year in years if year not in known]

    async def _read(self, calendar_id: str) -> TradeCalendar:
        if self._store is not None:
            try:
                stored = await self._store.load(calendar_id)
            except Exception:
                logger.warning(
                    "trade calendar %s not read: the committed seed answers", calendar_id, exc_info=True
                )
            else:
                if stored.years:
                    return stored
        return SEEDS[calendar_id]()


def today_and_ahead(today: date, ahead_days: int) -> range:
    """The years from `today`'s to that of `ahead_days` later."""
    later = date.fromordinal(today.toordinal() + ahead_days)
    return range(today.year, later.year + 1)
