"""Run logs in MongoDB.

Collection `scheduler_run_logs`, `_id` = "<execution_id>:<attempt>:<sequence>", beside the event log. A batch
delivered twice is stored once (duplicate ids are ignored).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from typing import cast

from pymongo import ASCENDING
from pymongo import IndexModel
from pymongo.errors import BulkWriteError
from pymongo.errors import PyMongoError

from contracts.run_logs import LogLevel
from infrastructure.store.mongo_client import errors_unavailable
from infrastructure.store.mongo_client import refused_writes
from infrastructure.store.mongo_indexes import ensure_indexes
from infrastructure.store.mongo_side_store import MongoSideStore
from infrastructure.store.port import StoreUnavailable
from infrastructure.store.run_logs_port import LEVEL_NUMBERS
from infrastructure.store.run_logs_port import RunLogLine
from infrastructure.store.run_logs_port import RunLogQuery

COLLECTION = "scheduler_run_logs"


class MongoRunLogs(MongoSideStore):
    """Run log lines in a MongoDB collection, kept by (execution, attempt, sequence)."""

    collection = COLLECTION
    appname = "scheduler-run-logs"

    async def _prepare(self) -> None:
        """Create the collection's indexes if missing."""
        order = [("execution_id", ASCENDING), ("level_number", ASCENDING), ("attempt", ASCENDING),
                 ("sequence", ASCENDING)]  # fmt: skip
        await ensure_indexes(
            self._collection,
            [
                IndexModel(order, name=f"{COLLECTION}_execution"),
                IndexModel([("logged_at", ASCENDING)], name=f"{COLLECTION}_logged_at"),
            ],
        )

    async def append(self, lines: Sequence[RunLogLine]) -> int:
        """Store the lines not stored yet; returns how many were new."""
        if not lines:
            return 0
        documents = [_document(line) for line in lines]
        try:
            result = await self._collection.insert_many(documents, ordered=False)
        except BulkWriteError as error:
            others = refused_writes(error)
            if others:
                raise StoreUnavailable(f"run logs not stored: {others[0].get('errmsg')}") from error
            return int(error.details.get("nInserted", 0))
        except PyMongoError as error:
            raise StoreUnavailable(f"run logs not stored: {error}") from error
        return len(result.inserted_ids)

    async def page(self, query: RunLogQuery) -> tuple[list[RunLogLine], int]:
        """One page of an execution's lines at `min_level` or above, in order, and how many there are."""
        selector = {
            "execution_id": query.execution_id,
            "level_number": {"$gte": LEVEL_NUMBERS[query.min_level]},
        }
        with errors_unavailable("run logs not read"):
            total = await self._collection.count_documents(selector)
            cursor = (
                self._collection.find(selector)
                .sort([("attempt", ASCENDING), ("sequence", ASCENDING)])
                .skip(query.offset)
                .limit(query.limit)
            )
            documents = await cursor.to_list(None)
        return [_line(document) for document in documents], total

    async def purge(self, logged_before: datetime) -> int:
        """Delete the lines logged before `logged_before`; returns how many."""
        with errors_unavailable("run logs not purged"):
            result = await self._collection.delete_many({"logged_at": {"$lt": logged_before}})
        return int(result.deleted_count)


def _document(line: RunLogLine) -> dict[str, Any]:
    return {
        "_id": f"{line.execution_id}:{line.attempt}:{line.sequence}",
        "job_id": line.job_id,
        "execution_id": line.execution_id,
        "attempt": line.attempt,
        "sequence": line.sequence,
        "logged_at": line.logged_at,
        "level": line.level,
        "level_number": LEVEL_NUMBERS[line.level],
        "logger": line.logger,
        "message": line.message,
    }


def _line(document: dict[str, Any]) -> RunLogLine:
    return RunLogLine(
        document["job_id"],
        document["execution_id"],
        int(document["attempt"]),
        int(document["sequence"]),
        document["logged_at"],
        cast(LogLevel, document["level"]),
        document["logger"],
        document["message"],
    )
