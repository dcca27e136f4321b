"""The embedded market-data store: its own SQLite file (WAL), one table per collection.

Each table has the collection's key fields as columns (its primary key), `updated_at` and the document as
JSON. An upsert merges with `json_patch` (nulls are stripped first, so they never erase a stored value),
which mirrors MongoDB's `$set`. Inserted vs updated is counted from the keys already present, looked up in
the same transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from collections.abc import Sequence
from contextlib import asynccontextmanager
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from infrastructure.market.port import DEFAULT_BATCH_SIZE
from infrastructure.market.port import KEY_FIELDS
from infrastructure.market.port import STOCK_BASIC_INFO
from infrastructure.market.port import STOCK_DAILY_QUOTES
from infrastructure.market.port import TIMESTAMP_FIELDS
from infrastructure.market.port import Document
from infrastructure.market.port import MarketStoreUnavailable
from infrastructure.market.port import SeriesState
from infrastructure.market.port import WriteResult
from infrastructure.market.port import key_of
from infrastructure.market.port import stored_body
from infrastructure.market.port import weigh_replacement
from infrastructure.market.port import write_in_batches
from infrastructure.private_files import private_file

_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA busy_timeout=10000")
_LOOKUP_CHUNK = 200  # keys per `IN (VALUES ...)` lookup, well under SQLite's variable limit


def _schema() -> list[str]:
    statements = []
    for table, keys in KEY_FIELDS.items():
        columns = ", ".join(f"{key} TEXT NOT NULL" for key in keys)
        statements.append(
            f"CREATE TABLE IF NOT EXISTS {table} ({columns}, updated_at TEXT, document TEXT NOT NULL,"
            f" PRIMARY KEY ({', '.join(keys)})) WITHOUT ROWID"
        )
        statements.append(f"CREATE INDEX IF NOT EXISTS {table}_updated ON {table} (updated_at)")
    statements.append(
        f"CREATE INDEX IF NOT EXISTS {STOCK_DAILY_QUOTES}_last ON {STOCK_DAILY_QUOTES}"
        " (data_source, period, symbol, trade_date)"
    )
    # One day's bars of every symbol (the daily market review).
    statements.append(
        f"CREATE INDEX IF NOT EXISTS {STOCK_DAILY_QUOTES}_day ON {STOCK_DAILY_QUOTES} (trade_date, period)"
    )
    return statements


def _encode_value(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in a market document")


def _decode(text: str) -> Document:
    document: Document = json.loads(text)
    for name in TIMESTAMP_FIELDS:
        if isinstance(document.get(name), str):
            document[name] = datetime.fromisoformat(document[name])
    return document


def _column_for(collection: str, field: str, table: str = "") -> str:
    prefix = f"{table}." if table else ""
    if field in KEY_FIELDS[collection] or field == "updated_at":
        return f"{prefix}{field}"
    if not field.replace("_", "").isalnum():
        raise ValueError(f"invalid field name {field!r}")
    return f"json_extract({prefix}document, '$.{field}')"


class SQLiteMarketStore:
    """Market data in an SQLite file (one table per collection), for one machine."""

    def __init__(self, path: Path | str, *, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        self._path = Path(path)
        self._batch_size = batch_size
        self._connection: aiosqlite.Connection | None = None

    async def open(self) -> None:
        """Open the file (private to its owner), create the tables and their unique indexes if missing."""
        if self._connection is not None:
            return
        private_file(self._path)
        try:
            connection = await aiosqlite.connect(self._path, isolation_level=None)
            for statement in [*_PRAGMAS, *_schema()]:
                await connection.execute(statement)
        except sqlite3.Error as error:
            raise MarketStoreUnavailable(f"cannot open market store {self._path}: {error}") from error
        self._connection = connection

    async def close(self) -> None:
        """Close the connection; the store may be opened again."""
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    @property
    def _db(self) -> aiosqlite.Connection:
        if self._connection is None:
            raise MarketStoreUnavailable("market store is not open")
        return self._connection

    async def upsert(self, collection: str, documents: Sequence[Document]) -> WriteResult:
        """Insert or merge by the collection's key, in batches; counts inserted vs already stored keys."""
        return await write_in_batches(
            collection, documents, self._batch_size, lambda batch: self._upsert_batch(collection, batch)
        )

    async def _upsert_batch(self, collection: str, batch: list[Document]) -> WriteResult:
        keys = KEY_FIELDS[collection]
        now = datetime.now(UTC).isoformat()
        rows = [
            (
                *self._replacement_row(collection, document, now),
                json.dumps(stored_body(document), default=_encode_value),
            )
            for document in batch
        ]  # the inserted document, then the patch merged into a stored one
        columns = ", ".join(keys)
        statement = (
            f"INSERT INTO {collection} ({columns}, updated_at, document)"
            f" VALUES ({', '.join('?' * (len(keys) + 2))})"
            f" ON CONFLICT ({columns}) DO UPDATE SET"
            " updated_at = coalesce(excluded.updated_at, updated_at),"
            " document = json_patch(document, ?)"
        )
        async with self._transaction(collection):
            existing = await self._existing(collection, [row[: len(keys)] for row in rows])
            await self._db.executemany(statement, rows)
        return WriteResult(inserted=len(batch) - existing, updated=existing)

    async def replace(
        self, collection: str, documents: Sequence[Document], *, newer_than: str | None = None
    ) -> WriteResult:
        """One transaction for the whole call (a symbol's rebased series is never seen half written)."""
        async with self._transaction(collection):
            return await write_in_batches(
                collection,
                documents,
                self._batch_size,
                lambda batch: self._replace_batch(collection, batch, newer_than),
            )

    @asynccontextmanager
    async def _transaction(self, collection: str) -> AsyncIterator[None]:
        """`BEGIN IMMEDIATE` ... `COMMIT` (`ROLLBACK` on any error); a database error is unavailability."""
        try:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                await self._db.execute("COMMIT")
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as error:
            raise MarketStoreUnavailable(f"{collection}: write failed: {error}") from error

    async def _replace_batch(
        self, collection: str, batch: list[Document], newer_than: str | None
    ) -> WriteResult:
        keys = KEY_FIELDS[collection]
        columns = ", ".join(keys)
        statement = (
            f"INSERT INTO {collection} ({columns}, updated_at, document)"
            f" VALUES ({', '.join('?' * (len(keys) + 2))})"
            f" ON CONFLICT ({columns}) DO UPDATE SET updated_at = excluded.updated_at,"
            " document = json_set(excluded.document, '$.created_at',"
            " coalesce(json_extract(document, '$.created_at'),"
            " json_extract(excluded.document, '$.created_at')))"
        )
        stored = await self._stored_values(collection, batch, newer_than or "updated_at")
        replacement = weigh_replacement(collection, batch, newer_than, stored)
        now = datetime.now(UTC).isoformat()
        rows = [self._replacement_row(collection, document, now) for document in replacement.fresh]
        await self._db.executemany(statement, rows)
        return replacement.result()

    @staticmethod
    def _replacement_row(collection: str, document: Document, now: str) -> tuple[Any, ...]:
        body = stored_body(document)
        stamp = body.get("updated_at")
        return (
            *key_of(collection, document),
            stamp.isoformat() if isinstance(stamp, datetime) else None,
            json.dumps({**body, "created_at": now}, default=_encode_value),
        )

    async def _stored_values(
        self, collection: str, batch: list[Document], field: str
    ) -> dict[tuple[str, ...], Any]:
        """By key, the stored document's `field` (None when it lacks it), for the keys already stored."""
        return await self._stored_by_keys(
            collection, [key_of(collection, document) for document in batch], field
        )

    async def _stored_by_keys(
        self, collection: str, keys: Sequence[tuple[Any, ...]], field: str
    ) -> dict[tuple[str, ...], Any]:
        """`_stored_values` for key tuples, looked up `_LOOKUP_CHUNK` keys at a time."""
        columns = ", ".join(KEY_FIELDS[collection])
        width = len(KEY_FIELDS[collection])
        found: dict[tuple[str, ...], Any] = {}
        for start in range(0, len(keys), _LOOKUP_CHUNK):
            chunk = keys[start : start + _LOOKUP_CHUNK]
            values = ", ".join(f"({', '.join('?' * width)})" for _ in chunk)
            query = (
                f"WITH wanted({columns}) AS (VALUES {values})"
                f" SELECT {', '.join(f'stored.{key}' for key in KEY_FIELDS[collection])},"
                f" {_column_for(collection, field, 'stored')} FROM wanted JOIN {collection} AS stored"
                f" USING ({columns})"
            )  # a join on the key: one primary-key lookup per wanted key
            async with self._db.execute(query, [part for key in chunk for part in key]) as cursor:
                async for row in cursor:
                    found[tuple(str(part) for part in row[:width])] = row[width]
        return found

    async def delete(self, collection: str, equals: dict[str, Any]) -> int:
        """Remove the documents whose fields equal `equals` (at least one field); answers how many."""
        if not equals:
            raise ValueError("delete needs at least one field to match")
        where, values = self._where(collection, equals)
        try:
            cursor = await self._db.execute(f"DELETE FROM {collection}{where}", values)
        except sqlite3.Error as error:
            raise MarketStoreUnavailable(f"{collection}: delete failed: {error}") from error
        return int(cursor.rowcount)

    async def _existing(self, collection: str, keys: list[tuple[Any, ...]]) -> int:
        """How many of `keys` (unique) are stored already."""
        return len(await self._stored_by_keys(collection, keys, "updated_at"))

    async def last_trade_dates(self, data_source: str, period: str = "daily") -> dict[str, str]:
        """For incremental history: the last stored `trade_date` per symbol of one source."""
        query = (
            f"SELECT symbol, max(trade_date) FROM {STOCK_DAILY_QUOTES}"
            " WHERE data_source = ? AND period = ? GROUP BY symbol"
        )
        async with self._db.execute(query, (data_source, period)) as cursor:
            return {str(symbol): str(last) async for symbol, last in cursor}

    async def series_states(self, data_source: str, period: str = "daily") -> dict[str, SeriesState]:
        """Per symbol of one source: its last bar's date and basis, and where rows of no basis start."""
        latest = (
            f"SELECT symbol, max(trade_date), json_extract(document, '$.basis_factor'),"
            f" json_extract(document, '$.basis_date') FROM {STOCK_DAILY_QUOTES}"
            " WHERE data_source = ? AND period = ? GROUP BY symbol"
        )  # SQLite takes the bare columns from the row of max(trade_date)
        legacy = (
            f"SELECT symbol, min(trade_date) FROM {STOCK_DAILY_QUOTES} WHERE data_source = ? AND period = ?"
            " AND json_extract(document, '$.adj_factor') IS NULL GROUP BY symbol"
        )
        async with self._db.execute(legacy, (data_source, period)) as cursor:
            legacy_from = {str(symbol): str(first) async for symbol, first in cursor}
        async with self._db.execute(latest, (data_source, period)) as cursor:
            return {
                str(symbol): SeriesState(
                    str(last), None if factor is None else float(factor), basis, legacy_from.get(str(symbol))
                )
                async for symbol, last, factor, basis in cursor
            }

    async def count(self, collection: str, **equals: str) -> int:
        """How many rows of `collection` have fields equal to `equals` (for checks and tests)."""
        where, values = self._where(collection, equals)
        async with self._db.execute(f"SELECT count(*) FROM {collection}{where}", values) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def latest_update(self, collection: str) -> datetime | None:
        """The newest `updated_at` of a collection (freshness), or None if it is empty."""
        async with self._db.execute(f"SELECT max(updated_at) FROM {collection}") as cursor:
            row = await cursor.fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    async def find(
        self, collection: str, equals: dict[str, Any] | None = None, *, limit: int | None = None
    ) -> list[Document]:
        """Documents whose fields equal `equals`, ordered by key (for checks and tests)."""
        where, values = self._where(collection, equals or {})
        order = ", ".join(KEY_FIELDS[collection])
        query = f"SELECT document FROM {collection}{where} ORDER BY {order} LIMIT ?"
        async with self._db.execute(query, [*values, -1 if limit is None else limit]) as cursor:
            return [_decode(text) async for (text,) in cursor]

    async def codes(self, *, limit: int | None = None) -> list[str]:
        """Distinct stock codes known in `stock_basic_info`, ascending."""
        query = f"SELECT DISTINCT code FROM {STOCK_BASIC_INFO} ORDER BY code LIMIT ?"
        async with self._db.execute(query, (-1 if limit is None else limit,)) as cursor:
            return [str(code) async for (code,) in cursor]

    @staticmethod
    def _where(collection: str, equals: dict[str, Any]) -> tuple[str, list[Any]]:
        if not equals:
            return "", []
        conditions = [f"{_column_for(collection, field)} = ?" for field in equals]
        return " WHERE " + " AND ".join(conditions), list(equals.values())
