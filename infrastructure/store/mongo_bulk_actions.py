"""Bulk actions in MongoDB.

Collection `scheduler_bulk_actions`, `_id` = the operation id, beside the read models; an action's plan is an
array of run ids in its document (at most 10,000: well under 16 MB).
"""

from __future__ import annotations

from typing import Any, cast

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from infrastructure.store.bulk_actions_port import (
    BulkActionKind,
    BulkActionProgress,
    BulkActionRecord,
    BulkActionState,
)
from infrastructure.store.mongo_client import make_client
from infrastructure.store.mongo_indexes import ensure_indexes
from infrastructure.store.port import StoreUnavailable

COLLECTION = "scheduler_bulk_actions"


class MongoBulkActions:
    """The bulk-action store over a MongoDB database."""

    def __init__(
        self, database: AsyncDatabase[dict[str, Any]], *, client: AsyncMongoClient[Any] | None = None
    ) -> None:
        """Over `database`; `client` is closed by `close` when the store owns it."""
        self._collection = database[COLLECTION]
        self._owned_client = client

    @classmethod
    def from_url(cls, url: str, database: str) -> MongoBulkActions:
        """A store with a client of its own."""
        client = make_client(url, "scheduler-bulk-actions")
        return cls(client[database], client=client)

    async def open(self) -> None:
        """Make sure of the index the restart reads by."""
        order = [("state", ASCENDING), ("started_at", ASCENDING)]
        try:
            await ensure_indexes(self._collection, [IndexModel(order, name=f"{COLLECTION}_state")])
        except PyMongoError as error:
            raise StoreUnavailable(f"cannot reach MongoDB: {error}") from error

    async def close(self) -> None:
        """Close the client if the store owns it."""
        if self._owned_client is not None:
            await self._owned_client.close()

    async def put(self, record: BulkActionRecord) -> None:
        """Store the action (replacing one of the same id)."""
        try:
            await self._collection.replace_one({"_id": record.operation_id}, _document(record), upsert=True)
        except PyMongoError as error:
            raise StoreUnavailable(f"bulk action not stored: {error}") from error

    async def get(self, operation_id: str) -> BulkActionRecord | None:
        """The action of this id, if kept."""
        try:
            document = await self._collection.find_one({"_id": operation_id})
        except PyMongoError as error:
            raise StoreUnavailable(f"bulk action not read: {error}") from error
        return _record(document) if document is not None else None

    async def record_progress(self, operation_id: str, progress: BulkActionProgress) -> None:
        """Store how far the action got."""
        fields = {
            "sent": progress.sent,
            "state": progress.state,
            "error": progress.error,
            "finished_at": progress.finished_at,
        }
        try:
            await self._collection.update_one({"_id": operation_id}, {"$set": fields})
        except PyMongoError as error:
            raise StoreUnavailable(f"bulk progress not stored: {error}") from error

    async def unfinished(self) -> list[BulkActionRecord]:
        """The running actions, oldest first."""
        try:
            cursor = self._collection.find({"state": "running"}).sort("started_at", ASCENDING)
            documents = await cursor.to_list(None)
        except PyMongoError as error:
            raise StoreUnavailable(f"bulk actions not read: {error}") from error
        return [_record(document) for document in documents]

    async def prune(self, keep: int) -> int:
        """Forget the finished actions beyond the newest `keep`."""
        finished = {"state": {"$ne": "running"}}
        try:
            cursor = self._collection.find(finished, {"_id": 1}).sort("started_at", DESCENDING).skip(keep)
            old = [document["_id"] for document in await cursor.to_list(None)]
            if not old:
                return 0
            result = await self._collection.delete_many({"_id": {"$in": old}})
        except PyMongoError as error:
            raise StoreUnavailable(f"bulk actions not pruned: {error}") from error
        return int(result.deleted_count)


def _document(record: BulkActionRecord) -> dict[str, Any]:
    return {
        "_id": record.operation_id,
        "action": record.action,
        "actor": record.actor,
        "producer": record.producer,
        "reason": record.reason,
        "selected": record.selected,
        "missing": record.missing,
        "skipped": record.skipped,
        "targets": list(record.targets),
        "started_at": record.started_at,
        "sent": record.sent,
        "state": record.state,
        "error": record.error,
        "finished_at": record.finished_at,
    }


def _record(document: dict[str, Any]) -> BulkActionRecord:
    return BulkActionRecord(
        operation_id=document["_id"],
        action=cast(BulkActionKind, document["action"]),
        actor=document["actor"],
        producer=document["producer"],
        reason=document["reason"],
        selected=int(document["selected"]),
        missing=int(document["missing"]),
        skipped=int(document["skipped"]),
        targets=tuple(document["targets"]),
        started_at=document["started_at"],
        sent=int(document["sent"]),
        state=cast(BulkActionState, document["state"]),
        error=document.get("error"),
        finished_at=document.get("finished_at"),
    )
