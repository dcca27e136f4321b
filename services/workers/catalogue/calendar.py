"""The exchange calendar for the quotes jobs: trading days (weekends and holidays) and session hours.

Trading days come from the providers' calendars, tried in order (tushare `trade_cal` when a token is set,
baostock `query_trade_dates`, then the trade-date file akshare ships, which needs no network), cached per
year. A source that failed is not asked again for `retry_after_s`. If none answers, weekdays are assumed
and the answer says so.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from services.workers.providers.errors import ProviderError
from services.workers.providers.pacing import Clock
from services.workers.providers.ports import TradeCalendarProvider

logger = logging.getLogger(__name__)

SESSIONS = ((time(9, 30), time(11, 30)), (time(13, 0), time(15, 0)))
WEEKDAY_FALLBACK = "weekdays (no calendar available)"


@dataclass(frozen=True)
class TradingDay:
    """Whether a day is a trading day, and which calendar said so (or the weekday fallback)."""

    day: date
    is_trading_day: bool
    calendar: str  # which source answered


@dataclass(frozen=True)
class SessionStatus:
    """Whether the market session is open at a moment, why not if not, and which calendar said."""

    open: bool
    reason: str
    trade_date: date
    calendar: str


class TradingCalendar:
    """The SSE/SZSE trading days from the first source that answers, cached by year."""

    def __init__(
        self,
        sources: Sequence[TradeCalendarProvider],
        *,
        clock: Clock,
        zone: ZoneInfo,
        retry_after_s: float = 3600.0,
    ) -> None:
        self._sources = list(sources)
        self._clock = clock
        self._zone = zone
        self._retry_after_s = retry_after_s
        self._years: dict[int, tuple[frozenset[date], str]] = {}
        self._failed_at: dict[str, float] = {}

    async def trading_day(self, day: date) -> TradingDay:
        """Whether `day` is a trading day; weekdays are assumed when no source knows its year."""
        year = await self._year(day.year)
        if year is None:
            return TradingDay(day, day.weekday() < 5, WEEKDAY_FALLBACK)
        days, source = year
        return TradingDay(day, day in days, source)

    async def latest_trading_day(self, on_or_before: date) -> date:
        """The last trading day up to `on_or_before` (looks back at most a month)."""
        for back in range(31):
            candidate = on_or_before - timedelta(days=back)
            if (await self.trading_day(candidate)).is_trading_day:
                return candidate
        return on_or_before

    async def session_status(self, moment: datetime) -> SessionStatus:
        """Whether the market is in session at `moment` (a trading day, within trading hours)."""
        local = moment.astimezone(self._zone)
        today = await self.trading_day(local.date())
        if not today.is_trading_day:
            kind = "weekend" if local.weekday() >= 5 else "exchange holiday"
            reason = f"{local.date()} is not a trading day ({kind}; calendar: {today.calendar})"
            return SessionStatus(False, reason, local.date(), today.calendar)
        clock_time = local.time()
        if any(start <= clock_time <= end for start, end in SESSIONS):
            return SessionStatus(True, "trading session", local.date(), today.calendar)
        reason = f"{local:%H:%M} is outside the trading sessions 09:30-11:30, 13:00-15:00"
        return SessionStatus(False, reason, local.date(), today.calendar)

    async def _year(self, year: int) -> tuple[frozenset[date], str] | None:
        if year in self._years:
            return self._years[year]
        for source in self._sources:
            failed_at = self._failed_at.get(source.name)
            if failed_at is not None and self._clock.monotonic() - failed_at < self._retry_after_s:
                continue
            try:
                async with source:
                    days = await source.trade_dates(date(year, 1, 1), date(year, 12, 31))
            except ProviderError as error:
                logger.warning("trade calendar from %s unavailable: %s", source.name, error)
                self._failed_at[source.name] = self._clock.monotonic()
                continue
            if days:
                self._years[year] = (frozenset(days), source.name)
                return self._years[year]
        logger.warning("no trade calendar for %d: assuming weekdays are trading days", year)
        return None
