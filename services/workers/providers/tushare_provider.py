"""Tushare adapter.

`ts.pro_api(token)` with the token from settings (never `ts.set_token`, which writes the token in plain text
to the home directory), calls paced by the account tier's per-minute quota.

Daily bars come from `daily` and `adj_factor` (see `daily_bars`), not from `pro_bar`, which rescales
every window to its own last day.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import KW_ONLY
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from typing import Any

import pandas as pd
from pydantic import SecretStr

from services.workers.providers import tushare_financials
from services.workers.providers import tushare_rows
from services.workers.providers.adjustment import with_factors
from services.workers.providers.adjustment import within
from services.workers.providers.errors import ProviderError
from services.workers.providers.errors import RateLimited
from services.workers.providers.errors import TransientNetworkError
from services.workers.providers.normalise import compact_date
from services.workers.providers.normalise import full_symbol
from services.workers.providers.normalise import quote_time
from services.workers.providers.pacing import PacedProvider
from services.workers.providers.ports import ParsedRows

NAME = "tushare"
WHOLE_MARKET = "3*.SZ,6*.SH,0*.SZ,9*.BJ"
EXCHANGES = ("SSE", "SZSE", "BSE")
ROW_LIMIT = 6000  # rows per call of `daily` and `adj_factor`
_MINUTE_QUOTA = ("每分钟", "per minute")
_HOUR_QUOTA = ("每小时",)
_NETWORK_ERRORS = (ConnectionError, TimeoutError, OSError)


def classify(call: str, error: Exception) -> ProviderError:
    """The provider error a failed tushare call means: quota (per minute or hour), network, or other."""
    message = str(error) or type(error).__name__
    if any(marker in message for marker in _MINUTE_QUOTA):
        return RateLimited(NAME, call, message, retry_after=60.0)
    if any(marker in message for marker in _HOUR_QUOTA):
        return RateLimited(NAME, call, message, retry_after=3600.0)
    if _is_network_error(error):
        return TransientNetworkError(NAME, call, f"network error: {message}")
    return ProviderError(NAME, call, message)


def _is_network_error(error: Exception) -> bool:
    try:
        import requests

        if isinstance(error, requests.RequestException):
            return True
    except ImportError:  # pragma: no cover - requests comes with tushare
        pass
    return isinstance(error, _NETWORK_ERRORS)


def _default_api(token: str, timeout: float) -> Any:
    return importlib.import_module("tushare").pro_api(token, timeout=timeout)


@dataclass(eq=False)
class TushareProvider(PacedProvider):
    """The tushare Pro data source (a token), paced to its quota and retried."""

    name = NAME
    _: KW_ONLY
    token: SecretStr
    api_factory: Callable[[str, float], Any] = _default_api
    _api: Any = field(default=None, init=False)

    @property
    def api(self) -> Any:
        """The tushare Pro client, made on first use with the token."""
        if self._api is None:
            self._api = self.api_factory(self.token.get_secret_value(), self.timeout)
        return self._api

    async def _query(self, call: str, **params: Any) -> pd.DataFrame | None:
        frame: pd.DataFrame | None = await self.caller.call(call, lambda: getattr(self.api, call)(**params))
        return frame

    async def stock_list(self) -> ParsedRows:
        """`stock_basic` once per exchange (SSE, SZSE, BSE): `exchange` takes one value."""
        parsed = ParsedRows()
        for exchange in EXCHANGES:
            frame = await self._query(
                "stock_basic",
                list_status="L",
                exchange=exchange,
                fields="ts_code,symbol,name,area,industry,market,exchange,list_date",
            )
            parsed.extend(tushare_rows.stock_list(frame))
        return parsed

    async def daily_basics(self, trade_date: date) -> ParsedRows:
        """Per-stock valuation of one trading day."""
        return tushare_rows.daily_basics(
            await self._query("daily_basic", trade_date=compact_date(trade_date))
        )

    async def realtime_quotes(self) -> ParsedRows:
        """A whole-market snapshot (`rt_k`)."""
        frame = await self._query("rt_k", ts_code=WHOLE_MARKET)
        local = self.local_now()
        return tushare_rows.realtime_quotes(frame, local.date().isoformat(), quote_time(local))

    def serves(self, code: str) -> bool:
        """True: tushare knows every exchange's stocks."""
        return True

    async def daily_bars(self, code: str, start: date, end: date) -> ParsedRows:
        """Unadjusted daily bars and adjustment factors of one window.

        `daily` (unadjusted; suspended days absent) and `adj_factor` of the same window: the two calls
        `pro_bar(adj=...)` makes, without its rescaling to the window's last day.
        """
        window = {
            "ts_code": full_symbol(code),
            "start_date": compact_date(start),
            "end_date": compact_date(end),
        }
        bars = within(tushare_rows.daily_bars(await self._complete("daily", window), code), start, end)
        if not bars.rows:
            return bars
        factors = tushare_rows.adj_factors(await self._complete("adj_factor", window))
        return with_factors(bars, factors)

    async def _complete(self, call: str, params: dict[str, Any]) -> pd.DataFrame | None:
        """One page of a call; the symbol fails if the page may have been cut.

        One page; a page as long as the call's row limit may have been cut: the symbol fails (counted)
        rather than being stored with a hole.
        """
        frame = await self._query(call, **params)
        if frame is not None and len(frame) >= ROW_LIMIT:
            raise ProviderError(NAME, call, f"answer cut at the {ROW_LIMIT}-row limit: ask a shorter window")
        return frame

    async def financial_statements(self, code: str) -> ParsedRows:
        """One stock's financial statements, one row per report period."""
        ts_code = full_symbol(code)
        frames = {
            statement: await self._query(statement, ts_code=ts_code)
            for statement in tushare_financials.STATEMENTS
        }
        return tushare_financials.merge_statements(code, frames)

    async def trade_dates(self, start: date, end: date) -> set[date]:
        """The SSE trading days between `start` and `end` inclusive."""
        frame = await self._query(
            "trade_cal", exchange="SSE", start_date=compact_date(start), end_date=compact_date(end)
        )
        return {date.fromisoformat(day) for day in tushare_rows.trade_dates(frame)}

    async def probe(self) -> str:
        """One cheap real call (the last two weeks' trading days), to tell whether tushare answers."""
        today = self.local_now().date()
        days = await self.trade_dates(today - timedelta(days=14), today)
        return f"trade_cal answered ({len(days)} trading days in the last two weeks)"
