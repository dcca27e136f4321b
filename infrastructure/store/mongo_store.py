"""The distributed store: MongoDB through PyMongo's native async client (`pymongo.AsyncMongoClient`).

Each read model is a collection whose `_id` is the record's key; records are stored with native BSON dates
(millisecond precision: MongoDB drops the microseconds). Event documents are kept verbatim under `document`,
beside copies of the envelope fields the filters use and a `position` (store order) drawn from a counter.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from pymongo import ASCENDING, AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import ConnectionFailure, DuplicateKeyError, PyMongoError

from contracts.codec import upcast_document
from domain.projection_lag import projection_lag_s
from domain.read_model import ReadModelView
from domain.records import (
    ExecutionRecord,
    ExecutionStats,
    HistoryRecord,
    JobRecord,
    MetadataRecord,
    ProjectorStateRecord,
    Record,
    SchedulerStateRecord,
)
from infrastructure.store import mongo_read_models
from infrastructure.store.documents import (
    as_utc,
    build_execution_stats,
    encode_event_document,
    event_fields,
)
from infrastructure.store.mongo_rebuild import MongoRebuild, complete_pending_swap
from infrastructure.store.mongo_schema import (
    COUNTERS,
    EVENT_ORDER,
    INDEXES,
    NEWEST_FIRST,
    document_of,
    execution_stats_pipeline,
    job_views_pipeline,
    record_from,
)
from infrastructure.store.port import (
    EventQuery,
    ExecutionQuery,
    HistoryQuery,
    JobView,
    ReadModelChanges,
    ReadModelRebuild,
    RetentionCutoffs,
    StoredEvent,
    StoreUnavailable,
)
from infrastructure.store.read_model_names import LIVE

Document = dict[str, Any]
PROJECTOR_STATES = "scheduler_projector_state"
PROJECTOR_STATE_KEPT = timedelta(days=7)  # a projector silent for longer is forgotten
RecordT = TypeVar("RecordT", bound=Record)
P = ParamSpec("P")
logger = logging.getLogger(__name__)
R = TypeVar("R")


def _reachable(method: Callable[P, Awaitable[R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Report a lost or unreachable server as `StoreUnavailable` (the API answers 503); other errors are bugs
    and pass unchanged."""

    @functools.wraps(method)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except ConnectionFailure as error:
            raise StoreUnavailable(f"MongoDB unreachable: {error}") from error

    return guarded


def _filter(**conditions: object) -> Document:
    return {field: value for field, value in conditions.items() if value is not None}


class MongoStore:
    def __init__(
        self,
        client: AsyncMongoClient[Document],
        database: str,
        *,
        owns_client: bool = False,
    ) -> None:
        # Getting a database handle does no I/O: the client connects on `open()`.
        self._client = client
        self._database = client[database]
        self._owns_client = owns_client

    @classmethod
    def from_url(cls, url: str, database: str, *, server_selection_timeout_ms: int = 5000) -> MongoStore:
        client: AsyncMongoClient[Document] = AsyncMongoClient(
            url, tz_aware=True, serverSelectionTimeoutMS=server_selection_timeout_ms
        )
        return cls(client, database, owns_client=True)

    def _collection(self, name: str) -> AsyncCollection[Document]:
        return self._database[name]

    async def open(self) -> None:
        try:
            await self._database.command("ping")
            if await complete_pending_swap(self._database):
                logger.warning("completed the swap of rebuilt read models that a replay left halfway")
            for name, indexes in INDEXES.items():
                await self._collection(name).create_indexes(indexes)
        except PyMongoError as error:
            raise StoreUnavailable(f"cannot reach MongoDB: {error}") from error

    async def close(self) -> None:
        if self._owns_client:
            await self._client.close()

    async def ping(self) -> bool:
        try:
            await self._database.command("ping")
        except PyMongoError:
            return False
        return True

    # --- event store -------------------------------------------------------------------------------
    async def _next_position(self) -> int:
        counter = await self._collection(COUNTERS).find_one_and_update(
            {"_id": "scheduler_events"},
            {"$inc": {"value": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        if counter is None:  # cannot happen: an upsert returning the document AFTER the update
            raise RuntimeError("event position counter missing")
        return int(counter["value"])

    @_reachable
    async def append_event(self, document: dict[str, Any]) -> bool:
        fields = event_fields(document)
        encode_event_document(document)  # refuse what the SQLite store refuses: non-JSON documents
        # A redelivered event burns a position; positions stay increasing, with gaps.
        stored = {
            "_id": fields.message_id,
            "position": await self._next_position(),
            "type": fields.type,
            "job_id": fields.job_id,
            "execution_id": fields.execution_id,
            "actor": fields.actor,
            "occurred_at": fields.occurred_at,
            "document": document,
        }
        try:
            await self._collection("scheduler_events").insert_one(stored)
        except DuplicateKeyError:
            return False
        return True

    async def append_events(self, documents: Sequence[dict[str, Any]]) -> int:
        for document in documents:  # validate every envelope before anything is written
            event_fields(document)
        stored = [await self.append_event(document) for document in documents]
        return sum(stored)

    @_reachable
    async def list_events(self, query: EventQuery) -> tuple[list[dict[str, Any]], int]:
        conditions = _filter(
            job_id=query.job_id,
            execution_id=query.execution_id,
            type=query.type,
            actor=query.actor,
        )
        period = _filter(**{"$gte": query.since, "$lt": query.until})
        if period:
            conditions["occurred_at"] = period
        events = self._collection("scheduler_events")
        documents: list[Document] = []
        if query.limit > 0:
            cursor = events.find(conditions, {"document": True}).sort(EVENT_ORDER)
            documents = await cursor.skip(max(query.offset, 0)).limit(query.limit).to_list()
        total = await events.count_documents(conditions)
        return [upcast_document(stored["document"]) for stored in documents], total

    @_reachable
    async def _events_after(self, position: int, batch_size: int) -> list[Document]:
        cursor = self._collection("scheduler_events").find(
            {"position": {"$gt": position}}, {"position": True, "document": True}
        )
        return await cursor.sort("position", ASCENDING).limit(batch_size).to_list()

    async def iter_events(self, batch_size: int = 5000, after: int = 0) -> AsyncIterator[list[StoredEvent]]:
        while batch := await self._events_after(after, batch_size):
            yield [StoredEvent(position=int(s["position"]), document=s["document"]) for s in batch]
            after = int(batch[-1]["position"])

    @_reachable
    async def count_events(self) -> int:
        return await self._collection("scheduler_events").count_documents({})

    # --- read models: writes -------------------------------------------------------------------------
    async def _put(self, collection: str, record: Record, key: str) -> None:
        await self._collection(collection).replace_one({"_id": key}, document_of(record, key), upsert=True)

    @_reachable
    async def put_job(self, record: JobRecord) -> None:
        await self._put("scheduler_jobs", record, record.job_id)

    @_reachable
    async def put_metadata(self, record: MetadataRecord) -> None:
        await self._put("scheduler_metadata", record, record.job_id)

    @_reachable
    async def put_execution(self, record: ExecutionRecord) -> None:
        await self._put("scheduler_executions", record, record.execution_id)

    @_reachable
    async def apply_changes(self, changes: ReadModelChanges) -> None:
        await mongo_read_models.apply_changes(self._database, LIVE, changes, with_state=True)

    @_reachable
    async def load_view(self, execution_ids: Collection[str], job_ids: Collection[str]) -> ReadModelView:
        return await mongo_read_models.load_view(self._database, LIVE, execution_ids, job_ids)

    @_reachable
    async def delete_execution(self, execution_id: str) -> None:
        await self._collection("scheduler_executions").delete_one({"_id": execution_id})

    @_reachable
    async def put_history(self, record: HistoryRecord) -> None:
        await self._put("scheduler_history", record, record.history_id)

    @_reachable
    async def put_scheduler_state(self, record: SchedulerStateRecord) -> None:
        await self._put("scheduler_state", record, record.scheduler_id)

    # --- read models: reads ----------------------------------------------------------------------
    async def _get(self, collection: str, model: type[RecordT], key: str) -> RecordT | None:
        document = await self._collection(collection).find_one({"_id": key})
        return None if document is None else record_from(model, document)

    @_reachable
    async def get_job(self, job_id: str) -> JobRecord | None:
        return await self._get("scheduler_jobs", JobRecord, job_id)

    @_reachable
    async def get_metadata(self, job_id: str) -> MetadataRecord | None:
        return await self._get("scheduler_metadata", MetadataRecord, job_id)

    async def _job_views(self, match: Document) -> list[JobView]:
        cursor = await self._collection("scheduler_jobs").aggregate(job_views_pipeline(match))
        views = []
        for document in await cursor.to_list():
            metadata = document.pop("metadata")
            views.append(
                JobView(
                    job=record_from(JobRecord, document),
                    metadata=record_from(MetadataRecord, metadata[0]) if metadata else None,
                )
            )
        return views

    @_reachable
    async def list_jobs(self) -> list[JobView]:
        return await self._job_views({})

    @_reachable
    async def get_job_view(self, job_id: str) -> JobView | None:
        views = await self._job_views({"_id": job_id})
        return views[0] if views else None

    @_reachable
    async def get_executions(self, execution_ids: Collection[str]) -> dict[str, ExecutionRecord]:
        cursor = self._collection("scheduler_executions").find({"_id": {"$in": list(execution_ids)}})
        records = [record_from(ExecutionRecord, document) for document in await cursor.to_list()]
        return {record.execution_id: record for record in records}

    @_reachable
    async def get_execution(self, execution_id: str) -> ExecutionRecord | None:
        return await self._get("scheduler_executions", ExecutionRecord, execution_id)

    async def _newest_first(
        self, collection: str, model: type[RecordT], conditions: Document, limit: int, offset: int
    ) -> tuple[list[RecordT], int]:
        records: list[RecordT] = []
        if limit > 0:  # MongoDB reads limit(0) as "no limit"
            cursor = self._collection(collection).find(conditions).sort(NEWEST_FIRST)
            documents = await cursor.skip(max(offset, 0)).limit(limit).to_list()
            records = [record_from(model, document) for document in documents]
        total = await self._collection(collection).count_documents(conditions)
        return records, total

    @_reachable
    async def list_executions(self, query: ExecutionQuery) -> tuple[list[ExecutionRecord], int]:
        conditions = _filter(job_id=query.job_id, status=query.status)
        if query.is_manual is not None:
            # "not manual" also matches a document without the flag (api.md).
            conditions["is_manual"] = True if query.is_manual else {"$ne": True}
        return await self._newest_first(
            "scheduler_executions", ExecutionRecord, conditions, query.limit, query.offset
        )

    @_reachable
    async def count_executions(self, status: str | None = None) -> int:
        return await self._collection("scheduler_executions").count_documents(_filter(status=status))

    @_reachable
    async def execution_stats(self, job_id: str) -> ExecutionStats:
        pipeline = execution_stats_pipeline(job_id)
        cursor = await self._collection("scheduler_executions").aggregate(pipeline)
        (result,) = await cursor.to_list()
        groups = {group["_id"]: group for group in result["by_status"]}
        last_execution = None
        if result["last"]:
            last = result["last"][0]
            last_execution = {
                "status": last["status"],
                "timestamp": as_utc(last["timestamp"]),
                "execution_time": last.get("execution_time"),
            }
        return build_execution_stats(
            {status: int(group["count"]) for status, group in groups.items()},
            sum(int(group["count"]) for group in groups.values()),
            groups.get("success", {}).get("average"),
            last_execution,
        )

    @_reachable
    async def list_history(self, query: HistoryQuery) -> tuple[list[HistoryRecord], int]:
        return await self._newest_first(
            "scheduler_history",
            HistoryRecord,
            _filter(job_id=query.job_id, status=query.status),
            query.limit,
            query.offset,
        )

    @_reachable
    async def list_scheduler_states(self) -> list[SchedulerStateRecord]:
        cursor = self._collection("scheduler_state").find({}).sort("_id", ASCENDING)
        return [record_from(SchedulerStateRecord, document) for document in await cursor.to_list()]

    # --- retention -------------------------------------------------------------------------------
    @_reachable
    async def prune(self, cutoffs: RetentionCutoffs) -> dict[str, int]:
        removed = await mongo_read_models.prune_read_models(self._database, LIVE, cutoffs)
        removed["events"] = 0
        if cutoffs.events is not None:
            result = await self._collection("scheduler_events").delete_many(
                {"occurred_at": {"$lt": cutoffs.events}}
            )
            removed["events"] = result.deleted_count
        return removed

    # --- the projector's own state ---------------------------------------------------------------
    @_reachable
    async def put_projector_state(self, record: ProjectorStateRecord) -> None:
        states = self._collection(PROJECTOR_STATES)
        await states.replace_one(
            {"_id": record.projector_id}, document_of(record, record.projector_id), upsert=True
        )
        await states.delete_many({"updated_at": {"$lt": record.updated_at - PROJECTOR_STATE_KEPT}})

    @_reachable
    async def list_projector_states(self) -> list[ProjectorStateRecord]:
        cursor = self._collection(PROJECTOR_STATES).find({}).sort("_id", ASCENDING)
        return [record_from(ProjectorStateRecord, document) for document in await cursor.to_list()]

    async def projector_lag_s(self) -> float | None:
        return projection_lag_s(await self.list_projector_states(), datetime.now(UTC))

    # --- replay ------------------------------------------------------------------------------------
    @_reachable
    async def begin_rebuild(self, holder: str = "replay") -> ReadModelRebuild:
        rebuild = MongoRebuild(self._database, holder)
        await rebuild.create()
        return rebuild
