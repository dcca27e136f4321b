"""How the MongoDB store reads backfills (`scheduler_backfills`: one document per backfill, `_id` its id)."""

from __future__ import annotations

from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from domain.records import BackfillRecord
from infrastructure.store.mongo_documents import record_or_none
from infrastructure.store.mongo_documents import records_of
from infrastructure.store.port import BackfillQuery
from infrastructure.store.read_model_names import LIVE

Document = dict[str, Any]
ACTIVE = ["running", "cancelling"]


async def get_backfill(database: AsyncDatabase[Document], backfill_id: str) -> BackfillRecord | None:
    """One backfill, or None."""
    document = await database[LIVE.backfills].find_one({"_id": backfill_id})
    return None if document is None else record_or_none(BackfillRecord, document, LIVE.backfills)


async def list_backfills(
    database: AsyncDatabase[Document], query: BackfillQuery
) -> tuple[list[BackfillRecord], int]:
    """A page of backfills, newest first, and how many match."""
    conditions: Document = {}
    if query.active is not None:
        conditions["status"] = {"$in": ACTIVE} if query.active else {"$nin": ACTIVE}
    if query.job_id is not None:
        conditions["job_id"] = query.job_id
    collection = database[LIVE.backfills]
    total = await collection.count_documents(conditions)
    if query.limit <= 0:  # MongoDB reads limit(0) as "no limit"
        return [], total
    cursor = collection.find(conditions).sort([("requested_at", DESCENDING), ("_id", DESCENDING)])
    documents = await cursor.skip(max(query.offset, 0)).limit(query.limit).to_list()
    return records_of(BackfillRecord, documents, LIVE.backfills), total
