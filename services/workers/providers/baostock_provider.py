"""BaoStock adapter: its own protocol over raw TCP, errors as `error_code`/`error_msg` on every result.

Use it inside `async with provider:` (login on enter, logout on exit). The library keeps one socket in
module-global state, so sessions in this process are serialised by a lock (one per event loop). Every
result's `error_code` is checked; network codes (100020xx) are transient, the rest are provider errors.
The library sets no socket timeout, so the caller's timeout is what keeps a dead network from hanging us.
"""

from __future__ import annotations

import asyncio
import importlib
import weakref
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import KW_ONLY
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from typing import Any

from services.workers.providers import baostock_rows
from services.workers.providers.adjustment import steps_from
from services.workers.providers.adjustment import with_factors
from services.workers.providers.adjustment import within
from services.workers.providers.errors import ProviderError
from services.workers.providers.errors import TransientNetworkError
from services.workers.providers.normalise import exchange_of
from services.workers.providers.pacing import ProviderCaller
from services.workers.providers.ports import ParsedRows
from services.workers.providers.ports import SessionBase

NAME = "baostock"
SUCCESS = "0"
_NETWORK_CODE_PREFIX = "100020"  # 10002001..10002009: socket connect/send/receive failures
_UNADJUSTED = "3"  # adjustflag: 1 hfq, 2 qfq, 3 none
_FIRST_DAY = "1990-12-19"  # query_adjust_factor defaults to 2015 otherwise: every factor since listing
SERVED_EXCHANGES = frozenset({"SH", "SZ"})  # baostock has no Beijing stocks
_session_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _session_lock() -> asyncio.Lock:
    loop = asyncio.get_running_loop()
    lock = _session_locks.get(loop)
    if lock is None:
        lock = _session_locks[loop] = asyncio.Lock()
    return lock


def classify(call: str, error: Exception) -> ProviderError:
    """The provider error a failed baostock call means: network, or other."""
    message = str(error) or type(error).__name__
    if isinstance(error, OSError):
        return TransientNetworkError(NAME, call, f"network error: {message}")
    return ProviderError(NAME, call, f"unexpected failure ({type(error).__name__}: {message})")


def checked(call: str, result: Any) -> Any:
    """A baostock answer if it succeeded; TransientNetworkError or ProviderError with its code otherwise."""
    code, message = str(getattr(result, "error_code", "")), getattr(result, "error_msg", "")
    if code == SUCCESS:
        return result
    if code.startswith(_NETWORK_CODE_PREFIX):
        raise TransientNetworkError(NAME, call, f"error {code} {message}".strip())
    raise ProviderError(NAME, call, f"error {code} {message}".strip())


def read_all(call: str, result: Any) -> list[Mapping[str, Any]]:
    """Every row of a result set (it fetches further pages itself), checking the codes on the way."""
    checked(call, result)
    fields = list(result.fields)
    rows: list[Mapping[str, Any]] = []
    while result.next():
        rows.append(dict(zip(fields, result.get_row_data(), strict=False)))
    checked(call, result)  # a failed page fetch leaves its error code on the result
    return rows


def close_leftover_socket(library: Any) -> None:
    """Close a socket baostock left open.

    Baostock keeps the socket of a failed login (or of a logout it skipped) open in module state; close
    it, or a worker that retries logins while the network is down leaks one descriptor per attempt.
    """
    context: Any = getattr(getattr(library, "common", None), "context", None)
    leftover = getattr(context, "default_socket", None)
    if leftover is not None and callable(getattr(leftover, "close", None)):
        leftover.close()
        context.default_socket = None


def _import_baostock() -> Any:
    return importlib.import_module("baostock")


@dataclass(eq=False)
class BaostockProvider(SessionBase):
    """The baostock data source (one logged-in session, one call at a time), paced and retried."""

    name = NAME
    caller: ProviderCaller
    _: KW_ONLY
    library: Callable[[], Any] = _import_baostock
    _lock: asyncio.Lock | None = field(default=None, init=False)

    async def open(self) -> None:
        """Log in, holding this process's baostock session until `close`."""
        self._lock = _session_lock()
        await self._lock.acquire()
        try:
            await self.caller.call("login", self._login)
        except BaseException:
            await asyncio.to_thread(close_leftover_socket, self.library())
            self._lock.release()
            self._lock = None
            raise

    def _login(self) -> Any:
        library = self.library()
        close_leftover_socket(library)
        return checked("login", library.login())

    def _logout(self) -> None:
        library = self.library()
        try:
            library.logout()
        finally:
            close_leftover_socket(library)

    async def close(self) -> None:
        """Log out and let the next session in."""
        try:
            # a failed logout must not hide the run's outcome; the server drops idle sessions
            await asyncio.to_thread(self._logout)
        finally:
            if self._lock is not None:
                self._lock.release()
                self._lock = None

    async def _query(self, call: str, **params: Any) -> list[Mapping[str, Any]]:
        if self._lock is None:
            raise ProviderError(NAME, call, "not logged in: use the provider inside `async with`")
        return await self.caller.call(call, lambda: read_all(call, getattr(self.library(), call)(**params)))

    async def stock_list(self) -> ParsedRows:
        """Listed A-shares from baostock as `stock_basic_info` rows."""
        return baostock_rows.stock_list(await self._query("query_stock_basic"))

    async def _k_rows(self, code: str, start: date, end: date) -> list[Mapping[str, Any]]:
        return await self._query(
            "query_history_k_data_plus",
            code=baostock_rows.baostock_code(code),
            fields=baostock_rows.K_FIELDS,
            start_date=start.isoformat(),
            end_date=end.isoformat(),
            frequency="d",
            adjustflag=_UNADJUSTED,
        )

    def serves(self, code: str) -> bool:
        """Whether baostock has the stock's exchange (no Beijing stocks)."""
        return exchange_of(code) in SERVED_EXCHANGES

    async def daily_bars(self, code: str, start: date, end: date) -> ParsedRows:
        """One stock's unadjusted daily bars between two days, each with its factor."""
        bars = within(baostock_rows.daily_bars(await self._k_rows(code, start, end), code), start, end)
        if not bars.rows:
            return bars
        rows = await self._query(
            "query_adjust_factor",
            code=baostock_rows.baostock_code(code),
            start_date=_FIRST_DAY,
            end_date=end.isoformat(),
        )
        return with_factors(bars, steps_from(map(dict, rows), "dividOperateDate", "backAdjustFactor"))

    async def latest_quote(self, code: str, day: date) -> ParsedRows:
        """The bar of `day` as a `market_quotes` record (none when not published yet or not traded)."""
        rows = await self._k_rows(code, day, day)
        return baostock_rows.latest_quote(rows, code, day.isoformat())

    async def trade_dates(self, start: date, end: date) -> set[date]:
        """The trading days between `start` and `end` inclusive."""
        rows = await self._query("query_trade_dates", start_date=start.isoformat(), end_date=end.isoformat())
        return {date.fromisoformat(day) for day in baostock_rows.trade_dates(rows)}

    async def probe(self) -> str:
        """One cheap real call (the last two weeks' trading days), to tell whether baostock answers."""
        today = self.caller.clock.now().date()
        days = await self.trade_dates(today - timedelta(days=14), today)
        return f"login and query_trade_dates answered ({len(days)} trading days in two weeks)"
