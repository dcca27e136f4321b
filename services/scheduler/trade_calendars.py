"""The trading-day calendars the scheduler fires by (`policy.calendar`), read from the store.

At start the store is seeded from the committed file when it knows nothing (idempotent), then read; every
`trade_calendar_reload_s` a cheap revision check reloads the calendars when the calendar sync changed them.
Why a periodic check rather than an event: the calendar changes about once a year, weeks before it matters
(the exchanges publish next year's holidays in December), so minutes of delay cost nothing; the check needs
no new event contract, survives a lost message and a leader change, and sees every writer (the sync job,
the seed, an operator's tool). While the store cannot be read, the committed seed stands in.

A fire in a year a calendar does not know is not fired (logged once per calendar and year); the API's
health names the year (`services/api/calendar_health.py`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from collections.abc import Callable
from datetime import datetime
from datetime import tzinfo

from contracts.envelope import utc_now
from domain.trade_calendar import CN_A_SHARE
from domain.trade_calendar import TradeCalendar
from domain.triggers.trading_days import KNOWN_CALENDARS
from domain.triggers.trading_days import CalendarSource
from domain.triggers.trading_days import fire_day_verdict
from infrastructure.store.trade_calendar_port import TradeCalendarStore
from infrastructure.store.trade_calendar_port import seed_if_empty
from infrastructure.trade_calendar_seed import seed_calendar

logger = logging.getLogger(__name__)

SEEDS = {CN_A_SHARE: seed_calendar}
CLOCK_ORIGINS = frozenset({"scheduled", "catch_up", "downtime", "coalesced"})
"""The fires a calendar limits: those of the clock (a manual run or an upstream's end is not limited)."""


class CalendarBook:
    """The current calendar of each known id; `source(id)` is what a trigger reads at each computation."""

    def __init__(self, store: TradeCalendarStore | None = None) -> None:
        self._store = store
        self._calendars: dict[str, TradeCalendar] = {name: SEEDS[name]() for name in KNOWN_CALENDARS}
        self._revision: str | None = None
        self._told: set[tuple[str, int]] = set()
        self._opened = False

    def get(self, calendar_id: str) -> TradeCalendar | None:
        """The calendar as last loaded (None for an id not known)."""
        return self._calendars.get(calendar_id)

    def source(self, calendar_id: str | None) -> CalendarSource | None:
        """What a trigger limited to `calendar_id` reads (None: no calendar)."""
        if calendar_id is None:
            return None
        return lambda: self._calendars.get(calendar_id)

    async def open(self) -> None:
        """Seed the store when it knows nothing, then read it; a store that cannot be read keeps the seed."""
        if self._store is None:
            return
        try:
            await self._store.open()
            self._opened = True
            for name, seed in SEEDS.items():
                written = await seed_if_empty(self._store, name, seed(), utc_now())
                if written:
                    logger.info("trade calendar %s seeded with %d year(s)", name, written)
            await self.reload_if_changed()
        except Exception:
            logger.warning(
                "trade calendars not read from the store: the committed seed stands in", exc_info=True
            )

    async def close(self) -> None:
        """Release the store."""
        if self._store is not None and self._opened:
            self._opened = False
            await self._store.close()

    async def reload_if_changed(self) -> bool:
        """Read the calendars again when the store's revision moved; True when they were reloaded."""
        if self._store is None:
            return False
        if not self._opened:
            await self._store.open()
            self._opened = True
        revision = await self._store.revision()
        if revision == self._revision:
            return False
        for name in KNOWN_CALENDARS:
            loaded = await self._store.load(name)
            if loaded.years:
                self._calendars[name] = loaded
        self._revision = revision
        self._told.clear()
        logger.info("trade calendars loaded: %s", self.summary())
        return True

    async def reload_periodically(
        self, interval_s: float, on_change: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        """Reload the calendars every `interval_s`, for ever.

        `reload_if_changed` every `interval_s`, for ever (errors logged, tried again); `on_change` is
        awaited after each reload that changed something.
        """
        while True:
            await asyncio.sleep(interval_s)
            try:
                if await self.reload_if_changed() and on_change is not None:
                    await on_change()
            except Exception:
                logger.warning("trade calendars not reloaded; trying again later", exc_info=True)

    def may_fire(self, calendar_id: str, instant: datetime, zone: tzinfo, job_id: str) -> bool:
        """Whether a clock fire at `instant` falls on a trading day.

        A closed day is skipped silently, a day of an unknown year is refused and logged once per calendar and
        year.
        """
        verdict = fire_day_verdict(self._calendars.get(calendar_id), instant, zone)
        if verdict == "unknown":
            year = instant.astimezone(zone).year
            if (calendar_id, year) not in self._told:
                self._told.add((calendar_id, year))
                logger.warning(
                    "trade calendar %s does not know %d: job %s (and any other job limited to it) does not "
                    "fire on its days until the calendar sync adds the year",
                    calendar_id,
                    year,
                    job_id,
                    extra={"job_id": job_id},
                )
            return False
        return verdict == "trading"

    def summary(self) -> str:
        """Each calendar's known years, for the logs."""
        parts = []
        for name, calendar in sorted(self._calendars.items()):
            years = sorted(calendar.years)
            parts.append(f"{name} {years[0]}-{years[-1]}" if years else f"{name} (no year)")
        return ", ".join(parts)
