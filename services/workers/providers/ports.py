"""What the jobs need from a data provider: one small Protocol per capability.

Every method answers normalised records (the field vocabulary of `infrastructure.market.port`), so a job
does not care which library stands behind it; rows the provider sent that cannot be used (missing or
non-numeric fields, unknown codes, duplicate keys) are left out and counted in `ParsedRows.skipped`.
Adapters: `tushare_provider`, `akshare_provider`, `baostock_provider`. Methods raise the classes of
`errors` after the provider's call policy (rate limit, retries) has run its course.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from types import TracebackType
from typing import Any
from typing import Protocol
from typing import Self

Row = dict[str, Any]


@dataclass
class ParsedRows:
    """Usable rows plus what was left out of the provider's answer, by reason."""

    rows: list[Row] = field(default_factory=list)
    skipped_reasons: Counter[str] = field(default_factory=Counter)
    suspended: int = 0  # rows of a stock that did not trade: left out by design, not bad data

    @property
    def skipped(self) -> int:
        """How many rows were skipped, all reasons together."""
        return sum(self.skipped_reasons.values())

    def skip(self, reason: str) -> None:
        """Count one row skipped for `reason`."""
        self.skipped_reasons[reason] += 1

    def extend(self, other: ParsedRows) -> None:
        """Add another parse's rows, skips and suspensions to this one."""
        self.rows.extend(other.rows)
        self.skipped_reasons.update(other.skipped_reasons)
        self.suspended += other.suspended


class ProviderSession(Protocol):
    """Every provider is used inside `async with provider:` (baostock logs in and out there)."""

    name: str

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


class SessionBase:
    """A base for the providers: `async with provider:` runs `open` and `close` (both do nothing here).

    A provider that needs a session (baostock logs in and out) overrides the two; the others inherit them.
    """

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def open(self) -> None:
        """Start the provider's session (log in); no session by default."""

    async def close(self) -> None:
        """End the provider's session (log out), whatever the block's outcome; no session by default."""


class StockListProvider(ProviderSession, Protocol):
    """A source of the list of listed A-shares."""

    async def stock_list(self) -> ParsedRows:
        """Listed A-shares as `stock_basic_info` records (code, name, full_symbol, market, ...)."""


class BasicInfoProvider(ProviderSession, Protocol):
    """A source of per-stock facts."""

    async def basic_info(self, code: str) -> Row | None:
        """Extra facts about one stock (industry, list date, shares, market value), or None if unknown."""


class DailyBasicsProvider(ProviderSession, Protocol):
    """A source of per-stock daily valuation (pe, pb, market value, turnover)."""

    async def daily_basics(self, trade_date: date) -> ParsedRows:
        """Per-stock valuation of one trading day (pe, pb, market value, turnover) keyed by `code`."""


class RealtimeQuotesProvider(ProviderSession, Protocol):
    """A source of whole-market quote snapshots."""

    async def realtime_quotes(self) -> ParsedRows:
        """A whole-market snapshot as `market_quotes` records."""


class DailyBarsProvider(ProviderSession, Protocol):
    """A source of unadjusted daily bars with their adjustment factors."""

    def serves(self, code: str) -> bool:
        """Whether the provider knows this stock's exchange (baostock has no Beijing stocks)."""

    async def daily_bars(self, code: str, start: date, end: date) -> ParsedRows:
        """Unadjusted daily bars of one stock, each with its day's adjustment factor.

        `adj_factor` as in `adjustment`; days it did not trade are left out (`suspended`).
        """


class FinancialStatementsProvider(ProviderSession, Protocol):
    """A source of per-stock financial statements."""

    async def financial_statements(self, code: str) -> ParsedRows:
        """One `stock_financial_data` record per report period of one stock."""


class NewsProvider(ProviderSession, Protocol):
    """A source of per-stock news."""

    async def news(self, code: str, limit: int) -> ParsedRows:
        """Up to `limit` recent news items about one stock as `stock_news` records."""


class TradeCalendarProvider(ProviderSession, Protocol):
    """A source of the exchange's trading days."""

    async def trade_dates(self, start: date, end: date) -> set[date]:
        """The exchange's trading days between `start` and `end` inclusive."""


class ReachabilityProbe(ProviderSession, Protocol):
    """A source that can be asked, cheaply, whether it answers."""

    async def probe(self) -> str:
        """One cheap real call; answers a short description, raises a provider error if unreachable."""
