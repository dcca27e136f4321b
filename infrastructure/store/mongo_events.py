"""Appending to the event store in MongoDB.

The store is `scheduler_events`: one counter increment and one ordered insert per batch.

Positions (store order) come from a counter (`scheduler_counters`, `_id: "scheduler_events"`): a batch of
n draws n positions with one `$inc` and inserts its documents in position order. On a replica set both run
in one transaction, which fences writers: a second writer's `$inc` conflicts with the first's until it
commits (the driver retries it), so no position can become visible after a higher one, even with two
projectors writing after a network split. On a standalone server there is no such fence: one writer is
assumed (the projector queue has a single active consumer), and its ordered insert keeps its own positions
in order.

A redelivered event (its `message_id` stored already) burns its position: positions increase, with gaps.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError
from pymongo.errors import DuplicateKeyError

from infrastructure.store import mongo_counts
from infrastructure.store.documents import encode_event_document
from infrastructure.store.documents import event_fields
from infrastructure.store.mongo_client import in_transaction
from infrastructure.store.mongo_client import refused_writes
from infrastructure.store.mongo_documents import check_storable

Document = dict[str, Any]
EVENTS = "scheduler_events"
COUNTERS = "scheduler_counters"  # {_id: "scheduler_events", value: last position handed out}


def stored_form(document: Document) -> Document:
    """The stored document of an event.

    Without its position; ValueError/TypeError/UnstorableDocument if the event cannot be stored.
    """
    fields = event_fields(document)
    encode_event_document(document)  # refuse what the SQLite store refuses: non-JSON documents
    stored = {
        "_id": fields.message_id,
        "type": fields.type,
        "job_id": fields.job_id,
        "execution_id": fields.execution_id,
        "actor": fields.actor,
        "occurred_at": fields.occurred_at,
        "document": document,
    }
    check_storable({**stored, "position": 0}, f"event {fields.message_id} ({fields.type})")
    return stored


def _distinct(stored: Sequence[Document]) -> list[Document]:
    """The first of each `_id` (a batch may hold an event twice)."""
    seen: dict[Any, Document] = {}
    for document in stored:
        seen.setdefault(document["_id"], document)
    return list(seen.values())


class EventAppender:
    """Appends events to `scheduler_events` with positions from a counter (a transaction on a replica set)."""

    def __init__(self, database: AsyncDatabase[Document], client: Any, transactions: bool) -> None:
        self._database = database
        self._client = client
        self._transactions = transactions

    async def append(self, documents: Sequence[Document]) -> int:
        """Store each event once per `message_id`; how many were new.

        Every document is checked before anything is written.
        """
        pending = _distinct([stored_form(document) for document in documents])
        new = 0
        while pending:
            batch = pending

            async def insert(
                session: AsyncClientSession | None, batch: list[Document] = batch
            ) -> tuple[int, bool]:
                return await self._insert(batch, session)

            try:
                inserted, duplicate = await in_transaction(self._client, self._transactions, insert)
            except DuplicateInTransaction:  # aborted: nothing of it was written
                inserted, duplicate = 0, True
            new += inserted
            if not duplicate:
                break
            # Some were stored already (a redelivery): leave those out, and what this call inserted.
            pending = await self._not_stored(pending)
        return new

    async def _insert(self, batch: list[Document], session: AsyncClientSession | None) -> tuple[int, bool]:
        """Insert `batch` at fresh positions: (how many were inserted, whether one was a duplicate).

        In a transaction a duplicate aborts it all (nothing inserted); else those before it stay.
        """
        counter = await self._database[COUNTERS].find_one_and_update(
            {"_id": EVENTS},
            {"$inc": {"value": len(batch)}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if counter is None:  # cannot happen: an upsert returning the document AFTER the update
            raise RuntimeError("event position counter missing")
        first = int(counter["value"]) - len(batch) + 1
        positioned = [{**stored, "position": first + index} for index, stored in enumerate(batch)]
        try:
            await self._database[EVENTS].insert_many(positioned, ordered=True, session=session)
        except BulkWriteError as error:
            if not _only_duplicates(error):
                raise
            if session is not None:
                raise DuplicateInTransaction from error
            inserted = int(error.details.get("nInserted", 0))
            await self._count(batch[:inserted], session)
            return inserted, True
        except DuplicateKeyError as error:  # (how the transaction path may report it)
            if session is not None:
                raise DuplicateInTransaction from error
            raise
        await self._count(batch, session)
        return len(batch), False

    async def _count(self, inserted: list[Document], session: AsyncClientSession | None) -> None:
        deltas = Counter(mongo_counts.group_of("events", stored) for stored in inserted)
        await mongo_counts.write_deltas(self._database, mongo_counts.EVENT_COUNTS, deltas, session)

    async def _not_stored(self, batch: list[Document]) -> list[Document]:
        keys = [stored["_id"] for stored in batch]
        cursor = self._database[EVENTS].find({"_id": {"$in": keys}}, {"_id": 1})
        stored = {document["_id"] for document in await cursor.to_list()}
        return [document for document in batch if document["_id"] not in stored]


class DuplicateInTransaction(Exception):
    """A batch's transaction aborted on an event stored already (caught by `append`)."""


def _only_duplicates(error: BulkWriteError) -> bool:
    return bool(error.details.get("writeErrors")) and not refused_writes(error)
