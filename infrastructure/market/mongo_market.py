"""The MongoDB market-data store: `pymongo.AsyncMongoClient`, unordered `bulk_write` of upserts.

Each collection gets a unique compound index on its key, so concurrent writers cannot create duplicates.
An upsert is `UpdateOne(key, {$set: non-null fields, $setOnInsert: {created_at}}, upsert=True)`; the
result's `upserted_count` and `matched_count` are the inserted and updated counts. A replace reads the
stored documents of the batch first (their `created_at` and order field), leaves out the stale ones, and
writes `UpdateOne(key + {field <= new or missing}, {$set: document, $unset: the stored fields it lacks},
upsert=True)`: a newer document written in between makes that upsert a duplicate-key error, counted stale.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo import IndexModel
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError
from pymongo.errors import PyMongoError

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
from infrastructure.store.mongo_client import make_client
from infrastructure.store.mongo_client import refused_writes
from infrastructure.store.mongo_indexes import ensure_indexes


def _as_utc(document: Document) -> Document:
    document.pop("_id", None)
    for name in TIMESTAMP_FIELDS:
        value = document.get(name)
        if isinstance(value, datetime) and value.tzinfo is None:
            document[name] = value.replace(tzinfo=UTC)
    return document


class MongoMarketStore:
    """Market data (stocks, bars, financials, news) in MongoDB collections, keyed as the port says."""

    def __init__(self, database: Any, *, batch_size: int = DEFAULT_BATCH_SIZE, client: Any = None):
        self._db = database
        self._client = client
        self._batch_size = batch_size

    @classmethod
    def from_url(cls, url: str, database: str) -> MongoMarketStore:
        """A store that owns its client, connected to `url` on first use (no I/O here)."""
        client = make_client(url, appname="scheduler-market")
        return cls(client[database], client=client)

    async def open(self) -> None:
        """Create the missing indexes.

        Create the indexes whose keys no index has yet (the platform's may hold them under other names:
        `infrastructure.store.mongo_indexes`).
        """
        try:
            for collection, keys in KEY_FIELDS.items():
                await ensure_indexes(
                    self._db[collection],
                    [
                        IndexModel([(key, ASCENDING) for key in keys], unique=True, name=f"{collection}_key"),
                        IndexModel([("updated_at", ASCENDING)], name=f"{collection}_updated"),
                    ],
                )
            last = [("data_source", ASCENDING), ("period", ASCENDING), ("symbol", ASCENDING)]
            # One day's bars of every symbol (the daily market review).
            day = [("trade_date", ASCENDING), ("period", ASCENDING)]
            await ensure_indexes(
                self._db[STOCK_DAILY_QUOTES],
                [
                    IndexModel(last, name=f"{STOCK_DAILY_QUOTES}_last"),
                    IndexModel(day, name=f"{STOCK_DAILY_QUOTES}_day"),
                ],
            )
        except PyMongoError as error:
            raise MarketStoreUnavailable(f"cannot prepare market collections: {error}") from error

    async def close(self) -> None:
        """Close the client if this store made it."""
        if self._client is not None:
            await self._client.close()

    async def upsert(self, collection: str, documents: Sequence[Document]) -> WriteResult:
        """Insert or merge by the collection's key, in batches; counts inserted vs already stored keys."""
        return await write_in_batches(
            collection, documents, self._batch_size, lambda batch: self._upsert_batch(collection, batch)
        )

    async def _upsert_batch(self, collection: str, batch: list[Document]) -> WriteResult:
        keys = KEY_FIELDS[collection]
        now = datetime.now(UTC)
        operations = []
        for document in batch:
            key = {name: document[name] for name in keys}
            operations.append(
                UpdateOne(
                    key, {"$set": stored_body(document), "$setOnInsert": {"created_at": now}}, upsert=True
                )
            )
        try:
            result = await self._db[collection].bulk_write(operations, ordered=False)
        except PyMongoError as error:
            raise MarketStoreUnavailable(f"{collection}: bulk write failed: {error}") from error
        return WriteResult(inserted=result.upserted_count, updated=result.matched_count)

    async def replace(
        self, collection: str, documents: Sequence[Document], *, newer_than: str | None = None
    ) -> WriteResult:
        """Write whole documents by key (created_at kept); with `newer_than`, never over a newer one."""
        return await write_in_batches(
            collection,
            documents,
            self._batch_size,
            lambda batch: self._replace_batch(collection, batch, newer_than),
        )

    async def _stored(self, collection: str, batch: list[Document]) -> dict[tuple[str, ...], Document]:
        wanted = [{name: document[name] for name in KEY_FIELDS[collection]} for document in batch]
        cursor = self._db[collection].find({"$or": wanted})
        return {key_of(collection, row): row for row in await cursor.to_list(None)}

    async def _replace_batch(
        self, collection: str, batch: list[Document], newer_than: str | None
    ) -> WriteResult:
        keys = KEY_FIELDS[collection]
        now = datetime.now(UTC)
        try:
            stored = await self._stored(collection, batch)
        except PyMongoError as error:
            raise MarketStoreUnavailable(f"{collection}: read before replace failed: {error}") from error
        values = {key: row.get(newer_than) if newer_than else None for key, row in stored.items()}
        replacement = weigh_replacement(collection, batch, newer_than, values)
        operations = []
        for document in replacement.fresh:
            previous = stored.get(key_of(collection, document))
            operations.append(UpdateOne(*self._replacement(keys, document, previous, newer_than, now)))
        return replacement.result(raced=await self._bulk_replace(collection, operations))

    @staticmethod
    def _replacement(
        keys: tuple[str, ...], document: Document, previous: Document | None, field: str | None, now: datetime
    ) -> tuple[Document, Document, bool]:
        body = stored_body(document)
        condition: Document = {name: document[name] for name in keys}
        if field:
            condition["$or"] = [{field: {"$lte": document.get(field)}}, {field: None}]
        update: Document = {"$set": body, "$setOnInsert": {"created_at": now}}
        gone = {name: "" for name in previous or {} if name not in body and name not in {"_id", "created_at"}}
        if gone:
            update["$unset"] = gone
        return condition, update, True

    async def _bulk_replace(self, collection: str, operations: list[Any]) -> int:
        """Write; answers how many lost a race to a newer document (duplicate key on upsert)."""
        if not operations:
            return 0
        try:
            await self._db[collection].bulk_write(operations, ordered=False)
        except BulkWriteError as error:
            if refused_writes(error):
                raise MarketStoreUnavailable(f"{collection}: bulk replace failed: {error}") from error
            return len(error.details.get("writeErrors", []))
        except PyMongoError as error:
            raise MarketStoreUnavailable(f"{collection}: bulk replace failed: {error}") from error
        return 0

    async def delete(self, collection: str, equals: dict[str, Any]) -> int:
        """Remove the documents whose fields equal `equals` (at least one field); answers how many."""
        if not equals:
            raise ValueError("delete needs at least one field to match")
        try:
            result = await self._db[collection].delete_many(dict(equals))
        except PyMongoError as error:
            raise MarketStoreUnavailable(f"{collection}: delete failed: {error}") from error
        return int(result.deleted_count)

    async def last_trade_dates(self, data_source: str, period: str = "daily") -> dict[str, str]:
        """For incremental history: the last stored `trade_date` per symbol of one source."""
        pipeline = [
            {"$match": {"data_source": data_source, "period": period}},
            {"$group": {"_id": "$symbol", "last": {"$max": "$trade_date"}}},
        ]
        cursor = await self._db[STOCK_DAILY_QUOTES].aggregate(pipeline)
        return {str(row["_id"]): str(row["last"]) for row in await cursor.to_list(None)}

    async def series_states(self, data_source: str, period: str = "daily") -> dict[str, SeriesState]:
        """Per symbol of one source: its last bar's date and basis, and where rows of no basis start."""
        match = {"data_source": data_source, "period": period}
        latest = [
            {"$match": match},
            {"$sort": {"symbol": 1, "trade_date": 1}},
            {"$group": {"_id": "$symbol", "last": {"$last": "$trade_date"},
                        "factor": {"$last": "$basis_factor"}, "basis": {"$last": "$basis_date"}}},
        ]  # fmt: skip
        legacy = [
            {"$match": {**match, "adj_factor": None}},
            {"$group": {"_id": "$symbol", "first": {"$min": "$trade_date"}}},
        ]
        collection = self._db[STOCK_DAILY_QUOTES]
        rows = await (await collection.aggregate(legacy)).to_list(None)
        legacy_from = {str(row["_id"]): str(row["first"]) for row in rows}
        states: dict[str, SeriesState] = {}
        for row in await (await collection.aggregate(latest)).to_list(None):
            factor, symbol = row.get("factor"), str(row["_id"])
            states[symbol] = SeriesState(
                str(row["last"]), None if factor is None else float(factor), row.get("basis"),
                legacy_from.get(symbol),
            )  # fmt: skip
        return states

    async def count(self, collection: str, **equals: str) -> int:
        """How many documents of `collection` have fields equal to `equals` (for checks and tests)."""
        return int(await self._db[collection].count_documents(dict(equals)))

    async def latest_update(self, collection: str) -> datetime | None:
        """The newest `updated_at` of a collection (freshness), or None if it is empty."""
        cursor = self._db[collection].find({}, {"updated_at": 1}).sort("updated_at", -1).limit(1)
        rows = await cursor.to_list(1)
        if not rows or rows[0].get("updated_at") is None:
            return None
        value = _as_utc(rows[0])["updated_at"]
        return value if isinstance(value, datetime) else None

    async def find(
        self, collection: str, equals: dict[str, Any] | None = None, *, limit: int | None = None
    ) -> list[Document]:
        """Documents whose fields equal `equals`, ordered by key (for checks and tests)."""
        order = [(key, ASCENDING) for key in KEY_FIELDS[collection]]
        cursor = self._db[collection].find(dict(equals or {})).sort(order)
        if limit is not None:
            cursor = cursor.limit(limit)
        return [_as_utc(document) for document in await cursor.to_list(None)]

    async def codes(self, *, limit: int | None = None) -> list[str]:
        """Distinct stock codes known in `stock_basic_info`, ascending."""
        codes = sorted({str(code) for code in await self._db[STOCK_BASIC_INFO].distinct("code")})
        return codes if limit is None else codes[:limit]
