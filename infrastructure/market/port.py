"""The market-data store port: normalised, idempotent, batched upserts into five collections.

Collections and their upsert keys (`../shared/spec/jobs.md`):

- `stock_basic_info` {code, source}: code (6 digits), name, symbol, full_symbol (`600000.SH`), exchange,
  area, industry, market (主板/创业板/科创板/北交所), list_date, source, data_source, optional valuation
  (pe, pb, total_mv, circ_mv in yuan, turnover_rate) with its trade_date;
- `market_quotes` {code}: price (= close), open, high, low, pre_close, volume (shares), amount (yuan),
  pct_chg, change, turnover_rate, trade_date, data_source;
- `stock_daily_quotes` {symbol, trade_date, data_source, period}: open, high, low, close, pre_close,
  volume (shares), amount (yuan), change, pct_chg, optional turnover_rate, pe, pb; adjust;
- `stock_financial_data` {symbol, report_period, data_source}: headline figures plus the raw statements;
- `stock_news` {url, title, publish_time}: symbol, content, source, data_source.
- `market_daily_review` {trade_date}: the day's review (`domain.market_review`), written whole (`replace`).

Dates are ISO strings (`2024-01-02`), times `YYYY-MM-DD HH:MM:SS` (Asia/Shanghai, as published);
`updated_at` is an aware UTC datetime set by the writer, `created_at` is set on insert. Two ways to write:

- `upsert` merges the document's non-null fields into the stored one (a null never erases a stored value),
  so a partial record (e.g. valuation only) enriches what is there (`stock_basic_info`, financials, news);
- `replace` writes the whole document (fields it lacks are gone; `created_at` is kept), and with
  `newer_than=FIELD` only over a stored document whose FIELD is missing or not greater (ISO text compares
  in time order): an older one is not written and counted `stale` (`market_quotes` by `quote_at`, the
  bars of `stock_daily_quotes`). SQLite applies one `replace` call in one transaction; MongoDB (no
  multi-document transactions assumed) document by document.

`delete` removes the documents whose fields equal the given values (migrations).
Adapters: `sqlite_market.SQLiteMarketStore`,
`mongo_market.MongoMarketStore`; one behavioural suite (`tests/market/test_market_store.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import Protocol

from infrastructure.store.lifecycle_port import Lifecycle

Document = dict[str, Any]

STOCK_BASIC_INFO = "stock_basic_info"
MARKET_QUOTES = "market_quotes"
STOCK_DAILY_QUOTES = "stock_daily_quotes"
STOCK_FINANCIAL_DATA = "stock_financial_data"
STOCK_NEWS = "stock_news"
MARKET_DAILY_REVIEW = "market_daily_review"

KEY_FIELDS: dict[str, tuple[str, ...]] = {
    STOCK_BASIC_INFO: ("code", "source"),
    MARKET_QUOTES: ("code",),
    STOCK_DAILY_QUOTES: ("symbol", "trade_date", "data_source", "period"),
    STOCK_FINANCIAL_DATA: ("symbol", "report_period", "data_source"),
    STOCK_NEWS: ("url", "title", "publish_time"),
    MARKET_DAILY_REVIEW: ("trade_date",),
}
TIMESTAMP_FIELDS = ("updated_at", "created_at")
DEFAULT_BATCH_SIZE = 500


class MarketStoreUnavailable(RuntimeError):
    """The market-data database cannot be reached or refused a write."""


@dataclass(frozen=True)
class WriteResult:
    """What a write did: documents inserted, updated, and left alone because the stored one was newer."""

    inserted: int = 0
    updated: int = 0
    stale: int = 0  # `replace(newer_than=...)`: not written, the stored document is newer

    def __add__(self, other: WriteResult) -> WriteResult:
        return WriteResult(
            self.inserted + other.inserted, self.updated + other.updated, self.stale + other.stale
        )


def key_of(collection: str, document: Document) -> tuple[str, ...]:
    """The document's upsert key; a missing or empty key field is a programming error upstream."""
    fields = KEY_FIELDS[collection]
    values = tuple(document.get(name) for name in fields)
    if any(value is None or value == "" for value in values):
        raise ValueError(f"{collection}: document lacks its key {fields}: {values}")
    return tuple(str(value) for value in values)


def unique_by_key(collection: str, documents: Sequence[Document]) -> list[Document]:
    """One document per key (the last one wins), in first-seen order."""
    by_key: dict[tuple[str, ...], Document] = {}
    for document in documents:
        by_key[key_of(collection, document)] = document
    return list(by_key.values())


def without_nulls(document: Document) -> Document:
    """The document without its None fields (a merge never erases a stored value with nothing)."""
    return {name: value for name, value in document.items() if value is not None}


def stored_body(document: Document) -> Document:
    """What a write stores of a document: its non-null fields, less `created_at` (the store sets it)."""
    body = without_nulls(document)
    body.pop("created_at", None)
    return body


async def write_in_batches(
    collection: str,
    documents: Sequence[Document],
    batch_size: int,
    write: Callable[[list[Document]], Awaitable[WriteResult]],
) -> WriteResult:
    """One document per key, written `batch_size` at a time by `write`; the results summed."""
    unique = unique_by_key(collection, documents)
    total = WriteResult()
    for start in range(0, len(unique), batch_size):
        total += await write(unique[start : start + batch_size])
    return total


def is_stale(stored: object, incoming: object) -> bool:
    """For `replace(newer_than=...)`: whether the stored value is newer than the incoming one."""
    return stored is not None and (incoming is None or str(stored) > str(incoming))


@dataclass(frozen=True)
class Replacement:
    """A `replace` batch weighed against what is stored: what to write, what it replaces, what is stale."""

    fresh: list[Document]  # to write, in batch order
    updated: int  # how many of `fresh` replace a stored document
    stale: int  # left out: the stored document is newer

    def result(self, raced: int = 0) -> WriteResult:
        """What the write did; `raced`: fresh documents a newer one written in between kept out."""
        return WriteResult(len(self.fresh) - self.updated - raced, self.updated, self.stale + raced)


def weigh_replacement(
    collection: str,
    batch: Sequence[Document],
    newer_than: str | None,
    stored: Mapping[tuple[str, ...], object],
) -> Replacement:
    """Split a `replace` batch into fresh and stale documents.

    `stored` has every key already stored; with `newer_than`, its value is the stored document's
    `newer_than` value (None when it lacks it); without `newer_than` nothing is stale and the values are
    not read.
    """
    fresh = [
        document
        for document in batch
        if not newer_than or not is_stale(stored.get(key_of(collection, document)), document.get(newer_than))
    ]
    updated = sum(1 for document in fresh if key_of(collection, document) in stored)
    return Replacement(fresh, updated, len(batch) - len(fresh))


@dataclass(frozen=True)
class SeriesState:
    """Where one symbol's stored daily bars of one source stand (`series_states`)."""

    last_trade_date: str
    basis_factor: float | None  # of the newest bar; every bar of the series shares it
    basis_date: str | None
    legacy_from: str | None = None  # the first bar stored without `adj_factor` (before the basis existed)


class MarketStore(Lifecycle, Protocol):
    """Where the workers keep market data: stocks, quotes, daily bars, financials, news.

    Closed, it may be opened again.
    """

    async def upsert(self, collection: str, documents: Sequence[Document]) -> WriteResult:
        """Insert or merge by the collection's key, in batches; counts inserted vs already stored keys."""

    async def replace(
        self, collection: str, documents: Sequence[Document], *, newer_than: str | None = None
    ) -> WriteResult:
        """Write whole documents by key (created_at kept); with `newer_than`, never over a newer one."""

    async def delete(self, collection: str, equals: dict[str, Any]) -> int:
        """Remove the documents whose fields equal `equals` (at least one field); answers how many."""

    async def last_trade_dates(self, data_source: str, period: str = "daily") -> dict[str, str]:
        """For incremental history: the last stored `trade_date` per symbol of one source."""

    async def series_states(self, data_source: str, period: str = "daily") -> dict[str, SeriesState]:
        """Per symbol of one source: its last bar's date and basis, and where rows of no basis start."""

    async def count(self, collection: str, **equals: str) -> int:
        """How many documents of `collection` have fields equal to `equals` (for checks and tests)."""

    async def latest_update(self, collection: str) -> datetime | None:
        """The newest `updated_at` of a collection (freshness), or None if it is empty."""

    async def find(
        self, collection: str, equals: dict[str, Any] | None = None, *, limit: int | None = None
    ) -> list[Document]:
        """Documents whose fields equal `equals`, ordered by key (for checks and tests)."""

    async def codes(self, *, limit: int | None = None) -> list[str]:
        """Distinct stock codes known in `stock_basic_info`, ascending."""
