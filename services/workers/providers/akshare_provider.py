"""AKShare adapter. akshare costs ~1 s and ~1,300 modules to import, so it is imported on first use.

It needs no token; it scrapes public sites, so calls are spaced (`limiter`, a small minimum interval) and
jobs pause between batches. Offline, its calls raise connection errors at once; a call that would hang is
cut by the caller's timeout (and `timeout=` is passed where the function accepts one).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from collections.abc import Callable
from dataclasses import KW_ONLY
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from pathlib import Path
from typing import Any
from typing import Literal

from services.workers.providers import akshare_financials
from services.workers.providers import akshare_rows
from services.workers.providers.adjustment import steps_from
from services.workers.providers.adjustment import with_factors
from services.workers.providers.adjustment import within
from services.workers.providers.errors import ProviderError
from services.workers.providers.errors import RateLimited
from services.workers.providers.errors import TransientNetworkError
from services.workers.providers.normalise import compact_date
from services.workers.providers.normalise import exchange_of
from services.workers.providers.normalise import quote_time
from services.workers.providers.pacing import PacedProvider
from services.workers.providers.ports import ParsedRows
from services.workers.providers.ports import Row

NAME = "akshare"
QuoteFeed = Literal["eastmoney", "sina"]
_RATE_LIMIT_STATUS = {403, 429, 456}


def classify(call: str, error: Exception) -> ProviderError:
    """The provider error a failed akshare call means: rate limited, refused (HTTP 4xx), network, other."""
    message = str(error) or type(error).__name__
    status = getattr(getattr(error, "response", None), "status_code", None)
    if status in _RATE_LIMIT_STATUS:
        return RateLimited(NAME, call, f"HTTP {status}: {message}", retry_after=60.0)
    if isinstance(status, int) and 400 <= status < 500:
        return ProviderError(NAME, call, f"HTTP {status}: {message}")
    if isinstance(error, OSError):  # requests' and curl_cffi's errors are OSErrors
        return TransientNetworkError(NAME, call, f"network error: {message}")
    return ProviderError(NAME, call, f"unexpected answer ({type(error).__name__}: {message})")


def _import_akshare() -> Any:
    return importlib.import_module("akshare")


def offline_calendar_file() -> Path | None:
    """The trade-date file akshare ships (1990-12-19 onwards), located without importing akshare."""
    spec = importlib.util.find_spec("akshare")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "file_fold" / "calendar.json"
    return path if path.is_file() else None


STOCK_LIST_CACHES = (
    "stock_info_a_code_name",
    "stock_info_sh_name_code",
    "stock_info_sz_name_code",
    "stock_info_bj_name_code",
)


def _prefixed(code: str) -> str:
    return f"{(exchange_of(code) or 'SH').lower()}{code}"


@dataclass(eq=False)
class AkshareProvider(PacedProvider):
    """The akshare data source (eastmoney and sina behind it), paced and retried."""

    name = NAME
    _: KW_ONLY
    library: Callable[[], Any] = _import_akshare
    calendar_file: Callable[[], Path | None] = offline_calendar_file

    async def _call(self, function: str, **params: Any) -> Any:
        return await self.caller.call(function, lambda: getattr(self.library(), function)(**params))

    def serves(self, code: str) -> bool:
        """True: akshare knows every exchange's stocks."""
        return True

    async def stock_list(self) -> ParsedRows:
        """The stock list, read again on every call.

        Re-read on every call: akshare keeps the list (and its SH/SZ/BJ parts) in an `lru_cache` for
        the life of the process, which would hide today's listings and renames from a long-lived worker.
        """
        library = self.library()
        for function in STOCK_LIST_CACHES:
            clear = getattr(getattr(library, function, None), "cache_clear", None)
            if callable(clear):
                clear()
        return akshare_rows.stock_list(await self._call("stock_info_a_code_name"))

    async def basic_info(self, code: str) -> Row | None:
        """One stock's facts from eastmoney (industry, listing, shares); None if unknown."""
        frame = await self._call("stock_individual_info_em", symbol=code, timeout=self.timeout)
        return akshare_rows.individual_info(frame)

    async def realtime_quotes(self, feed: QuoteFeed = "eastmoney") -> ParsedRows:
        """A whole-market snapshot from the eastmoney or sina feed."""
        function = "stock_zh_a_spot_em" if feed == "eastmoney" else "stock_zh_a_spot"
        frame = await self._call(function)
        local = self.local_now()
        return akshare_rows.spot_quotes(frame, local.date().isoformat(), quote_time(local), feed=feed)

    async def daily_bars(self, code: str, start: date, end: date) -> ParsedRows:
        """One stock's unadjusted daily bars between two days, each with its factor."""
        frame = await self._call(
            "stock_zh_a_hist",
            symbol=code,
            period="daily",
            start_date=compact_date(start),
            end_date=compact_date(end),
            adjust="",  # unadjusted; the factor comes from sina's table
            timeout=self.timeout,
        )
        bars = within(akshare_rows.daily_bars(frame, code), start, end)
        if not bars.rows:
            return bars
        factors = await self._call("stock_zh_a_daily", symbol=_prefixed(code), adjust="hfq-factor")
        table = akshare_rows.hfq_factor_rows(factors)
        return with_factors(bars, steps_from(table, "date", "hfq_factor"))

    async def financial_statements(self, code: str) -> ParsedRows:
        """One stock's financial statements, one row per report period."""
        abstract = await self._call("stock_financial_abstract", symbol=code)
        statements = {
            label: await self._call("stock_financial_report_sina", stock=_prefixed(code), symbol=label)
            for label in akshare_financials.STATEMENTS
        }
        return akshare_financials.merge(code, abstract, statements)

    async def news(self, code: str, limit: int) -> ParsedRows:
        """Up to `limit` recent news items about one stock."""
        return akshare_rows.news(await self._call("stock_news_em", symbol=code), code, limit)

    async def trade_dates(self, start: date, end: date) -> set[date]:
        """From the calendar file shipped in the package: no network needed."""
        path = self.calendar_file()
        if path is None:
            raise ProviderError(NAME, "calendar.json", "akshare's trade-date file is not installed")
        days = {date.fromisoformat(f"{d[:4]}-{d[4:6]}-{d[6:8]}") for d in json.loads(path.read_text())}
        if not days or max(days) < end:
            last = max(days).isoformat() if days else "nothing"
            raise ProviderError(NAME, "calendar.json", f"the file ends at {last}, before {end}")
        return {day for day in days if start <= day <= end}

    async def trade_dates_online(self, start: date, end: date) -> set[date]:
        """The trading days online, from Sina.

        From `tool_trade_date_hist_sina` (network): the SSE/SZSE trading days as Sina publishes them,
        up to the last day of the last year the exchanges have announced.
        """
        frame = await self._call("tool_trade_date_hist_sina")
        days = (
            {_as_date(value) for value in frame["trade_date"]} if frame is not None and len(frame) else set()
        )
        return {day for day in days if start <= day <= end}

    async def probe(self) -> str:
        """One cheap real call (a stock's facts), to tell whether akshare answers."""
        info = await self.basic_info("000001")
        return "stock_individual_info_em answered" if info else "answered, but empty"


def _as_date(value: Any) -> date:
    """A cell of `trade_date`: a `date`, a `datetime`/`Timestamp` or a `YYYY-MM-DD` text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    as_date = getattr(value, "date", None)
    if callable(as_date):
        result = as_date()
        if isinstance(result, date):
            return result
    return date.fromisoformat(str(value)[:10])
