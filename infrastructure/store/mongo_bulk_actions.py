"""Bulk actions in MongoDB.

Collection `scheduler_bulk_actions`, `_id` = the operation id, beside the read models; an action's plan is an
array of run ids in its document (at most 10,000: well under 16 MB).
"""

from __future__ import annotations

import dataclasses
from typing import Any
from typing import cast

from pymongo import ASCENDING
from pymongo import DESCENDING
from pymongo import IndexModel

from infrastructure.store.bulk_actions_port import BulkActionKind
from infrastructure.store.bulk_actions_port import BulkActionProgress
from infrastructure.store.bulk_actions_port import BulkActionRecord
from infrastructure.store.bulk_actions_port import BulkActionState
from infrastructure.store.mongo_client import errors_unavailable
from infrastructure.store.mongo_indexes import ensure_indexes
from infrastructure.store.mongo_side_store import MongoSideStore

COLLECTION = "scheduler_bulk_actions"


class MongoBulkActions(MongoSideStore):
    """The bulk-action store over a MongoDB database."""

    collection = COLLECTION
    appname = "scheduler-bulk-actions"

    async def _prepare(self) -> None:
        """Make sure of the index the restart reads by."""
        order = [("state", ASCENDING), ("started_at", ASCENDING)]
        await ensure_indexes(self._collection, [IndexModel(order, name=f"{COLLECTION}_state")])

    async def put(self, record: BulkActionRecord) -> None:
        """Store the action (replacing one of the same id)."""
        with errors_unavailable("bulk action not stored"):
            await self._collection.replace_one({"_id": record.operation_id}, _document(record), upsert=True)

    async def get(self, operation_id: str) -> BulkActionRecord | None:
        """The action of this id, if kept."""
        with errors_unavailable("bulk action not read"):
            document = await self._collection.find_one({"_id": operation_id})
        return _record(document) if document is not None else None

    async def record_progress(self, operation_id: str, progress: BulkActionProgress) -> None:
        """Store how far the action got."""
        with errors_unavailable("bulk progress not stored"):
            await self._collection.update_one({"_id": operation_id}, {"$set": dataclasses.asdict(progress)})

    async def unfinished(self) -> list[BulkActionRecord]:
        """The running actions, oldest first."""
        with errors_unavailable("bulk actions not read"):
            cursor = self._collection.find({"state": "running"}).sort("started_at", ASCENDING)
            documents = await cursor.to_list(None)
        return [_record(document) for document in documents]

    async def prune(self, keep: int) -> int:
        """Forget the finished actions beyond the newest `keep`."""
        finished = {"state": {"$ne": "running"}}
        with errors_unavailable("bulk actions not pruned"):
            cursor = self._collection.find(finished, {"_id": 1}).sort("started_at", DESCENDING).skip(keep)
            old = [document["_id"] for document in await cursor.to_list(None)]
            if not old:
                return 0
            result = await self._collection.delete_many({"_id": {"$in": old}})
        return int(result.deleted_count)


def _document(record: BulkActionRecord) -> dict[str, Any]:
    """The record's fields, keyed by its operation id (`_id`), its plan as an array."""
    fields = dataclasses.asdict(record)
    operation_id = fields.pop("operation_id")
    return {"_id": operation_id, **fields, "targets": list(record.targets)}


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
