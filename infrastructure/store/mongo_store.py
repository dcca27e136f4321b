"""The distributed store: MongoDB through PyMongo's native async client (`pymongo.AsyncMongoClient`).

Each read model is a collection whose `_id` is the record's key; records are stored with native BSON dates
(millisecond precision, which is the precision of every time the system makes: `contracts.envelope`).
Event documents are kept verbatim under `document`, beside copies of the envelope fields the filters use and
a `position` (store order): `mongo_events`. List totals come from counters (`mongo_counts`); a batch of
read-model changes is one transaction on a replica set (`mongo_client.in_transaction`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from collections.abc import Collection
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import TypeVar

from pymongo import ASCENDING
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from contracts.codec import upcast_document
from domain.projection_lag import projection_lag_s
from domain.read_model import ReadModelView
from domain.records import BackfillRecord
from domain.records import ExecutionRecord
from domain.records import ExecutionStats
from domain.records import HistoryRecord
from domain.records import JobRecord
from domain.records import MetadataRecord
from domain.records import ProjectorStateRecord
from domain.records import Record
from domain.records import SchedulerStateRecord
from infrastructure.store import mongo_backfills
from infrastructure.store import mongo_counts
from infrastructure.store import mongo_execution_queries as execution_queries
from infrastructure.store import mongo_read_models
from infrastructure.store.documents import as_utc
from infrastructure.store.documents import build_execution_stats
from infrastructure.store.mongo_client import errors_unavailable
from infrastructure.store.mongo_client import in_transaction
from infrastructure.store.mongo_client import long_operations
from infrastructure.store.mongo_client import make_client
from infrastructure.store.mongo_client import reachable
from infrastructure.store.mongo_client import supports_transactions
from infrastructure.store.mongo_counts import EVENT_COUNTS
from infrastructure.store.mongo_counts import counts_collection
from infrastructure.store.mongo_documents import readable
from infrastructure.store.mongo_documents import record_or_none
from infrastructure.store.mongo_documents import records_of
from infrastructure.store.mongo_events import EventAppender
from infrastructure.store.mongo_indexes import ensure_indexes
from infrastructure.store.mongo_rebuild import MongoRebuild
from infrastructure.store.mongo_rebuild import complete_pending_swap
from infrastructure.store.mongo_schema import EVENT_ORDER
from infrastructure.store.mongo_schema import INDEXES
from infrastructure.store.mongo_schema import NEWEST_FIRST
from infrastructure.store.mongo_schema import document_of
from infrastructure.store.mongo_schema import execution_stats_pipeline
from infrastructure.store.mongo_schema import job_views_pipeline
from infrastructure.store.port import BackfillQuery
from infrastructure.store.port import ChangesOf
from infrastructure.store.port import EventQuery
from infrastructure.store.port import ExecutionQuery
from infrastructure.store.port import HistoryQuery
from infrastructure.store.port import JobDurations
from infrastructure.store.port import JobView
from infrastructure.store.port import ReadModelChanges
from infrastructure.store.port import ReadModelRebuild
from infrastructure.store.port import RetentionCutoffs
from infrastructure.store.port import StoredEvent
from infrastructure.store.port import ViewKeys
from infrastructure.store.read_model_names import LIVE

Document = dict[str, Any]
PROJECTOR_STATES = "scheduler_projector_state"
PROJECTOR_STATE_KEPT = timedelta(days=7)  # a projector silent for longer is forgotten
RecordT = TypeVar("RecordT", bound=Record)
Session = AsyncClientSession | None
logger = logging.getLogger(__name__)
_reachable = reachable
COUNT_SOURCES = {"executions": LIVE.executions, "history": LIVE.history}


def _filter(**conditions: object) -> Document:
    return {field: value for field, value in conditions.items() if value is not None}


class MongoStore:
    """The event store and the read models in MongoDB (transactions on a replica set)."""

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
        self._transactions = False  # known at `open()`: whether the server is a replica set
        self._events = EventAppender(self._database, client, transactions=False)

    @classmethod
    def from_url(cls, url: str, database: str) -> MongoStore:
        """A store that owns its client, connected to `url` on first use (no I/O here)."""
        return cls(make_client(url, "scheduler-store"), database, owns_client=True)

    @property
    def transactions(self) -> bool:
        """Whether batches are written in transactions (a replica set; False before `open()`)."""
        return self._transactions

    def _collection(self, name: str) -> AsyncCollection[Document]:
        return self._database[name]

    async def open(self) -> None:
        """Connect, create the collections, indexes and counters if missing, finish a half-done swap."""
        with errors_unavailable("cannot reach MongoDB"):
            await self._database.command("ping")
            self._transactions = await supports_transactions(self._database)
            self._events = EventAppender(self._database, self._client, self._transactions)
            if await complete_pending_swap(self._database):
                logger.warning("completed the swap of rebuilt read models that a replay left halfway")
            with long_operations():  # index builds and counters on an existing deployment's collections
                await self._prepare_collections()

    async def _prepare_collections(self) -> None:
        created = []
        for name, indexes in INDEXES.items():
            created += await ensure_indexes(self._collection(name), indexes)
        built = await mongo_counts.ensure_counts(self._database, counts_collection(LIVE), COUNT_SOURCES)
        built |= await mongo_counts.ensure_counts(
            self._database, EVENT_COUNTS, {"events": "scheduler_events"}
        )
        logger.info(
            "MongoDB store %s: %s; %d index(es) created%s",
            self._database.name,
            "replica set, batches in transactions" if self._transactions else "no transactions (standalone)",
            len(created),
            "; list counters built from the collections" if built else "",
        )

    async def close(self) -> None:
        """Close the client if this store made it."""
        if self._owns_client:
            await self._client.close()

    async def ping(self) -> bool:
        """Whether the server answers a ping now."""
        try:
            await self._database.command("ping")
        except PyMongoError:
            return False
        return True

    # --- event store -------------------------------------------------------------------------------
    @_reachable
    async def append_event(self, document: dict[str, Any]) -> bool:
        """Store an event document once per `message_id`; False if it was already stored."""
        return await self._events.append([document]) == 1

    @_reachable
    async def append_events(self, documents: Sequence[dict[str, Any]]) -> int:
        """Store several events at once, each once per `message_id`; returns how many were new."""
        return await self._events.append(documents)

    @_reachable
    async def list_events(self, query: EventQuery) -> tuple[list[dict[str, Any]], int]:
        """Events matching the query, oldest first, with their total; older versions shown upcast."""
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
        if query.execution_id is not None or period:
            # An execution's events, or a period's: an index range count (grows with the matches only).
            total = await events.count_documents(conditions)
        else:
            total = await mongo_counts.total(self._database, EVENT_COUNTS, "events", conditions)
        return [
            upcast_document(stored["document"])
            for stored in documents
            if readable(stored, "scheduler_events")
        ], total

    @_reachable
    async def _events_after(self, position: int, batch_size: int) -> list[Document]:
        cursor = self._collection("scheduler_events").find(
            {"position": {"$gt": position}}, {"position": True, "document": True}
        )
        return await cursor.sort("position", ASCENDING).limit(batch_size).to_list()

    async def iter_events(self, batch_size: int = 5000, after: int = 0) -> AsyncIterator[list[StoredEvent]]:
        """Every stored event after position `after`, in store order, in batches (for replay)."""
        while batch := await self._events_after(after, batch_size):
            yield [StoredEvent(position=int(s["position"]), document=s["document"]) for s in batch]
            after = int(batch[-1]["position"])

    @_reachable
    async def count_events(self) -> int:
        """How many events the store holds (from the counters, not a scan)."""
        return await mongo_counts.total(self._database, EVENT_COUNTS, "events", {})

    # --- read models: writes -------------------------------------------------------------------------
    @_reachable
    async def apply_changes(self, changes: ReadModelChanges) -> None:
        """Write every change of a batch together (a transaction on a replica set)."""

        async def write(session: Session) -> None:
            await mongo_read_models.apply_changes(
                self._database, LIVE, changes, with_state=True, session=session
            )

        await in_transaction(self._client, self._transactions, write)

    @_reachable
    async def load_view(
        self, execution_ids: Collection[str], job_ids: Collection[str], backfill_ids: Collection[str] = ()
    ) -> ReadModelView:
        """The records and tombstones of these executions, jobs and backfills in the live read models."""
        return await mongo_read_models.load_view(self._database, LIVE, execution_ids, job_ids, backfill_ids)

    async def store_batch(
        self, documents: Sequence[dict[str, Any]], changes_of: ChangesOf, keys: ViewKeys
    ) -> int:
        """Append a batch of events, then apply its changes.

        Append, then apply in a transaction of its own (appending is idempotent: a batch whose apply
        failed is appended again harmlessly when it is handed over again).
        """
        stored = await self.append_events(documents)
        await self.apply_changes(changes_of(await self.load_view(*keys)))
        return stored

    # --- read models: reads ----------------------------------------------------------------------
    async def _get(self, collection: str, model: type[RecordT], key: str) -> RecordT | None:
        document = await self._collection(collection).find_one({"_id": key})
        return None if document is None else record_or_none(model, document, collection)

    @_reachable
    async def get_job(self, job_id: str) -> JobRecord | None:
        """The job's record; None if no such job was registered."""
        return await self._get("scheduler_jobs", JobRecord, job_id)

    async def _job_views(self, match: Document) -> list[JobView]:
        cursor = await self._collection("scheduler_jobs").aggregate(job_views_pipeline(match))
        views = []
        for document in await cursor.to_list():
            metadata = document.pop("metadata")
            job = record_or_none(JobRecord, document, "scheduler_jobs")
            if job is not None:
                about = metadata[0] if metadata else None
                views.append(
                    JobView(job=job, metadata=about and record_or_none(MetadataRecord, about, "metadata"))
                )
        return views

    @_reachable
    async def list_jobs(self) -> list[JobView]:
        """Every job with its metadata, ordered by job_id, in one query."""
        return await self._job_views({})

    @_reachable
    async def get_job_view(self, job_id: str) -> JobView | None:
        """The job with its metadata; None if no such job was registered."""
        views = await self._job_views({"_id": job_id})
        return views[0] if views else None

    @_reachable
    async def get_executions(self, execution_ids: Collection[str]) -> dict[str, ExecutionRecord]:
        """The executions among `execution_ids` that exist, by id (one query)."""
        cursor = self._collection("scheduler_executions").find({"_id": {"$in": list(execution_ids)}})
        records = records_of(ExecutionRecord, await cursor.to_list(), "scheduler_executions")
        return {record.execution_id: record for record in records}

    @_reachable
    async def get_execution(self, execution_id: str) -> ExecutionRecord | None:
        """The execution's record; None if there is none (never, or pruned)."""
        return await self._get("scheduler_executions", ExecutionRecord, execution_id)

    async def _newest_first(
        self, collection: str, model: type[RecordT], conditions: Document, limit: int, offset: int
    ) -> list[RecordT]:
        if limit <= 0:  # MongoDB reads limit(0) as "no limit"
            return []
        cursor = self._collection(collection).find(conditions).sort(NEWEST_FIRST)
        documents = await cursor.skip(max(offset, 0)).limit(limit).to_list()
        return records_of(model, documents, collection)

    async def _total(self, kind: str, conditions: Document) -> int:
        return await mongo_counts.total(self._database, counts_collection(LIVE), kind, conditions)

    @_reachable
    async def list_executions(self, query: ExecutionQuery) -> tuple[list[ExecutionRecord], int]:
        """Executions newest first (`timestamp` descending) with the total count matching the filters."""
        conditions = _filter(job_id=query.job_id, status=query.status)
        counted = dict(conditions)
        if query.is_manual is not None:
            # "not manual" also matches a document without the flag (api.md).
            conditions["is_manual"] = True if query.is_manual else {"$ne": True}
            counted["is_manual"] = query.is_manual
        conditions |= execution_queries.time_conditions(query)
        records = await self._newest_first(
            "scheduler_executions", ExecutionRecord, conditions, query.limit, query.offset
        )
        if query.has_time_range:  # the counters know no time: the server counts the index range
            return records, await self._collection("scheduler_executions").count_documents(conditions)
        return records, await self._total("executions", counted)

    @_reachable
    async def execution_counts(self, boundaries: Sequence[datetime]) -> list[dict[str, int]]:
        """Executions per status in each window between consecutive `boundaries`; empty with fewer than 2."""
        if len(boundaries) < 2:
            return []
        pipeline = execution_queries.window_counts_pipeline(boundaries)
        cursor = await self._collection("scheduler_executions").aggregate(pipeline)
        return execution_queries.window_counts(await cursor.to_list(), len(boundaries) - 1)

    @_reachable
    async def job_durations(self, since: datetime, until: datetime) -> list[JobDurations]:
        """Per job, duration statistics of its finished executions created in `[since, until)`."""
        pipeline = execution_queries.job_durations_pipeline(since, until)
        cursor = await self._collection("scheduler_executions").aggregate(pipeline, allowDiskUse=True)
        return execution_queries.job_durations(await cursor.to_list())

    @_reachable
    async def last_executions(self) -> dict[str, ExecutionRecord]:
        """The newest execution of every job that has one, by job id."""
        counts = self._collection(counts_collection(LIVE))
        job_ids = await counts.distinct("job_id", {"kind": "executions", "n": {"$gt": 0}})
        found: dict[str, ExecutionRecord] = {}
        for job_id in sorted(str(job_id) for job_id in job_ids if job_id is not None):
            newest = await self._newest_first(
                "scheduler_executions", ExecutionRecord, {"job_id": job_id}, 1, 0
            )
            if newest:
                found[job_id] = newest[0]
        return found

    @_reachable
    async def count_executions(self, status: str | None = None) -> int:
        """How many executions there are (of `status`, if given), from the counters."""
        return await self._total("executions", _filter(status=status))

    @_reachable
    async def execution_stats(self, job_id: str) -> ExecutionStats:
        """Counts per status, average duration of successes (2 decimals) and the last execution."""
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
        """History newest first with the total count."""
        conditions = _filter(job_id=query.job_id, status=query.status)
        records = await self._newest_first(
            "scheduler_history", HistoryRecord, conditions, query.limit, query.offset
        )
        return records, await self._total("history", conditions)

    @_reachable
    async def get_backfill(self, backfill_id: str) -> BackfillRecord | None:
        """One backfill, or None."""
        return await mongo_backfills.get_backfill(self._database, backfill_id)

    @_reachable
    async def list_backfills(self, query: BackfillQuery) -> tuple[list[BackfillRecord], int]:
        """A page of backfills, newest first, and how many match."""
        return await mongo_backfills.list_backfills(self._database, query)

    @_reachable
    async def list_scheduler_states(self) -> list[SchedulerStateRecord]:
        """Every scheduler process's state record, by scheduler id."""
        cursor = self._collection("scheduler_state").find({}).sort("_id", ASCENDING)
        return records_of(SchedulerStateRecord, await cursor.to_list(), "scheduler_state")

    # --- retention -------------------------------------------------------------------------------
    @_reachable
    async def prune(self, cutoffs: RetentionCutoffs) -> dict[str, int]:
        """Retention: remove what is older than the cut-offs; how many of each kind went."""
        with long_operations():
            removed = await mongo_read_models.prune_read_models(
                self._database, LIVE, cutoffs, self._client, self._transactions
            )
            removed["events"] = 0
            if cutoffs.events is not None:
                match = {"occurred_at": {"$lt": cutoffs.events}}
                removed["events"] = await mongo_counts.delete_counted(
                    self._client, self._transactions, self._database, "scheduler_events", "events", match,
                    EVENT_COUNTS,
                )  # fmt: skip
        return removed

    # --- the projector's own state ---------------------------------------------------------------
    @_reachable
    async def put_projector_state(self, record: ProjectorStateRecord) -> None:
        """Keep a projector's state; records not updated for a week are removed."""
        states = self._collection(PROJECTOR_STATES)
        await states.replace_one(
            {"_id": record.projector_id}, document_of(record, record.projector_id), upsert=True
        )
        await states.delete_many({"updated_at": {"$lt": record.updated_at - PROJECTOR_STATE_KEPT}})

    @_reachable
    async def list_projector_states(self) -> list[ProjectorStateRecord]:
        """Every projector process's state record, by projector id."""
        cursor = self._collection(PROJECTOR_STATES).find({}).sort("_id", ASCENDING)
        return records_of(ProjectorStateRecord, await cursor.to_list(), PROJECTOR_STATES)

    async def projector_lag_s(self) -> float | None:
        """Seconds the read models are behind the event log; None if no projector ever reported."""
        return projection_lag_s(await self.list_projector_states(), datetime.now(UTC))

    # --- replay ------------------------------------------------------------------------------------
    @_reachable
    async def begin_rebuild(self, holder: str = "replay") -> ReadModelRebuild:
        """Take the replay lock for `holder` and fresh collections to replay into."""
        rebuild = MongoRebuild(self._database, holder)
        await rebuild.create()
        return rebuild
