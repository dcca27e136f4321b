"""What the catalogue's jobs share inside one worker process: settings, clock, providers, store, calendar.

Built once per process by `JobEnvironment.from_settings` (the composition root may pass its own clock,
store or provider libraries; tests pass fakes of the libraries, so the real adapters run on fixtures).
The market store is opened on first use; `aclose()` closes it at shutdown. Nothing connects at import.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from typing import Any

from domain.catalogue import TUSHARE_TOKEN_MISSING
from infrastructure.adapters import make_trade_calendars
from infrastructure.market.factory import make_market_store
from infrastructure.market.port import MarketStore
from infrastructure.store.lifecycle_port import Lifecycle
from infrastructure.store.trade_calendar_port import TradeCalendarStore
from services.workers.catalogue.calendar import TradingCalendar
from services.workers.catalogue.loop import LoopOptions
from services.workers.catalogue.settings import CatalogueSettings
from services.workers.providers import akshare_provider
from services.workers.providers import baostock_provider
from services.workers.providers import tushare_provider
from services.workers.providers.akshare_provider import AkshareProvider
from services.workers.providers.baostock_provider import BaostockProvider
from services.workers.providers.pacing import Classifier
from services.workers.providers.pacing import Clock
from services.workers.providers.pacing import ProviderCaller
from services.workers.providers.pacing import RateLimiter
from services.workers.providers.pacing import RetryPolicy
from services.workers.providers.pacing import SystemClock
from services.workers.providers.ports import TradeCalendarProvider
from services.workers.providers.tushare_provider import TushareProvider

TOKEN_MISSING = TUSHARE_TOKEN_MISSING


@dataclass(frozen=True)
class Libraries:
    """Overrides of the provider libraries (tests); None means the real library."""

    tushare_api: Callable[[str, float], Any] | None = None
    akshare: Callable[[], Any] | None = None
    baostock: Callable[[], Any] | None = None


@dataclass
class JobEnvironment:
    """What the catalogue's jobs work with: settings, clock, market store, providers, calendar."""

    settings: CatalogueSettings
    clock: Clock
    store: MarketStore
    tushare: TushareProvider | None
    akshare: AkshareProvider
    baostock: BaostockProvider
    calendar: TradingCalendar
    quote_rotation: int = 0
    trade_calendars: TradeCalendarStore | None = None  # the scheduler's calendars (`trade_calendar_sync`)
    _opened: list[Lifecycle] = field(default_factory=list, repr=False)
    _open_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @classmethod
    def from_settings(
        cls,
        settings: CatalogueSettings,
        *,
        clock: Clock | None = None,
        store: MarketStore | None = None,
        libraries: Libraries | None = None,
    ) -> JobEnvironment:
        """The environment the settings describe (providers paced and retried); nothing opened yet."""
        clock = clock or SystemClock()
        libraries = libraries or Libraries()
        tushare = _tushare(settings, clock, libraries)
        akshare = AkshareProvider(
            _caller(settings, "akshare", akshare_provider.classify, clock, _akshare_limiter(settings, clock)),
            zone=settings.zone,
            timeout=settings.provider_timeout_s,
            **({"library": libraries.akshare} if libraries.akshare else {}),
        )
        baostock = BaostockProvider(
            _caller(settings, "baostock", baostock_provider.classify, clock, None),
            **({"library": libraries.baostock} if libraries.baostock else {}),
        )
        # the offline akshare file before baostock: a baostock session may be held by a long job
        sources: list[TradeCalendarProvider] = [*([tushare] if tushare else []), akshare, baostock]
        return cls(
            settings=settings,
            clock=clock,
            store=store or _store(settings),
            tushare=tushare,
            akshare=akshare,
            baostock=baostock,
            calendar=TradingCalendar(sources, clock=clock, zone=settings.zone),
            trade_calendars=make_trade_calendars(settings),
        )

    async def market(self) -> MarketStore:
        """The market store, opened on first use."""
        await self._open_once(self.store)
        return self.store

    async def calendar_store(self) -> TradeCalendarStore:
        """The scheduler's trade-calendar store, opened on first use."""
        if self.trade_calendars is None:
            raise RuntimeError("no trade calendar store configured")
        await self._open_once(self.trade_calendars)
        return self.trade_calendars

    async def _open_once(self, store: Lifecycle) -> None:
        # Under the lock: the jobs of one process that ask at the same time open the store once.
        async with self._open_lock:
            if not any(opened is store for opened in self._opened):
                await store.open()
                self._opened.append(store)

    async def aclose(self) -> None:
        """Close the stores that were opened (one that fails to close stays to be closed again)."""
        while self._opened:
            await self._opened[0].close()
            del self._opened[0]

    def today(self) -> date:
        """Today's date in the market's time zone."""
        return self.clock.now().astimezone(self.settings.zone).date()

    def loop_options(self, *, pause_s: float = 0.0) -> LoopOptions:
        """How a per-symbol job loops: batch size, pause between batches, network failures allowed."""
        return LoopOptions(
            batch_size=self.settings.symbol_batch_size,
            batch_pause_s=pause_s,
            max_consecutive_network_failures=self.settings.max_consecutive_network_failures,
        )


def _retry(settings: CatalogueSettings) -> RetryPolicy:
    return RetryPolicy(
        attempts=settings.retry_attempts,
        base_delay=settings.retry_base_delay_s,
        max_delay=settings.retry_max_delay_s,
        max_rate_limit_waits=settings.max_quota_waits,
    )


def _caller(
    settings: CatalogueSettings,
    provider: str,
    classify: Classifier,
    clock: Clock,
    limiter: RateLimiter | None,
) -> ProviderCaller:
    return ProviderCaller(
        provider,
        classify,
        clock=clock,
        limiter=limiter,
        retry=_retry(settings),
        timeout=settings.provider_timeout_s,
    )


def _akshare_limiter(settings: CatalogueSettings, clock: Clock) -> RateLimiter | None:
    if settings.akshare_min_interval_s <= 0:
        return None
    return RateLimiter(1, settings.akshare_min_interval_s, clock)


def _tushare(settings: CatalogueSettings, clock: Clock, libraries: Libraries) -> TushareProvider | None:
    if settings.tushare_token is None:
        return None
    limiter = RateLimiter.per_minute(
        settings.tushare_calls_per_minute, clock, safety_margin=settings.tushare_safety_margin
    )
    overrides: dict[str, Any] = {}
    if libraries.tushare_api:
        overrides["api_factory"] = libraries.tushare_api
    return TushareProvider(
        _caller(settings, "tushare", tushare_provider.classify, clock, limiter),
        token=settings.tushare_token,
        zone=settings.zone,
        timeout=settings.provider_timeout_s,
        **overrides,
    )


def _store(settings: CatalogueSettings) -> MarketStore:
    return make_market_store(
        settings.market_store_kind,
        sqlite_path=settings.market_sqlite_file,
        mongodb_url=settings.mongodb_url.get_secret_value(),
        mongodb_database=settings.mongodb_database,
    )
