"""The embedded store: one SQLite file in WAL mode, shared by the processes of one machine.

WAL lets readers (the API) run while a writer (the projector) commits; `busy_timeout` makes a second writer
wait for the lock instead of failing with "database is locked". The connection runs in autocommit mode: each
write is one statement, hence its own atomic transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from collections.abc import Collection
from collections.abc import Iterable
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any
from typing import TypeVar

import aiosqlite

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
from domain.records import as_utc_key
from infrastructure.private_files import private_file
from infrastructure.store import sqlite_batch
from infrastructure.store import sqlite_execution_queries as execution_queries
from infrastructure.store import sqlite_read_models
from infrastructure.store.documents import STATS_STATUSES
from infrastructure.store.documents import build_execution_stats
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
from infrastructure.store.port import StoreUnavailable
from infrastructure.store.port import ViewKeys
from infrastructure.store.read_model_names import LIVE
from infrastructure.store.readable import read_all
from infrastructure.store.readable import read_one
from infrastructure.store.sqlite_backfills import BACKFILLS_NEWEST_FIRST
from infrastructure.store.sqlite_backfills import backfill_filters
from infrastructure.store.sqlite_rebuild import SQLiteRebuild
from infrastructure.store.sqlite_schema import CONNECTION_PRAGMAS
from infrastructure.store.sqlite_schema import EXECUTION_STATS
from infrastructure.store.sqlite_schema import INSERT_EVENT
from infrastructure.store.sqlite_schema import PROJECTOR_STATE_KEPT
from infrastructure.store.sqlite_schema import RECOUNT_IF_DRIFTED
from infrastructure.store.sqlite_schema import SCHEMA
from infrastructure.store.sqlite_schema import UPSERT_PROJECTOR_STATE
from infrastructure.store.sqlite_schema import projector_state_row
from infrastructure.store.sqlite_schema import unavailable_reported
from infrastructure.store.sqlite_schema import write_transaction

Row = Sequence[Any]
RecordT = TypeVar("RecordT", bound=Record)
Filter = tuple[str, object | None]  # (SQL condition with one `?`, value); None means "no filter"
NEWEST_FIRST = "timestamp DESC, rowid DESC"  # rowid: equal timestamps still page deterministically


def _where(filters: Iterable[Filter]) -> tuple[str, list[object]]:
    active = [(condition, value) for condition, value in filters if value is not None]
    if not active:
        return "", []
    return " WHERE " + " AND ".join(c for c, _ in active), [v for _, v in active]


def _key(moment: datetime | None) -> str | None:
    return None if moment is None else as_utc_key(moment)


def _metadata(document: str) -> MetadataRecord:
    return MetadataRecord.model_validate_json(document)


def _event_document(document: str) -> dict[str, Any]:
    parsed = json.loads(document)
    if not isinstance(parsed, dict):
        raise ValueError(f"not an object but {type(parsed).__name__}")
    return upcast_document(parsed)


class SQLiteStore:
    """The event store and the read models in one SQLite file (WAL), for a single machine."""

    def __init__(self, path: Path, *, busy_timeout_ms: int = 5000) -> None:
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._connection: aiosqlite.Connection | None = None

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    async def open(self) -> None:
        """Open the file (private to its owner) and create the schema if missing.

        Raises StoreUnavailable if the file cannot be opened.
        """
        if self._connection is not None:
            return
        try:
            private_file(self._path)
            connection = await aiosqlite.connect(self._path, isolation_level=None)
        except (OSError, sqlite3.Error) as error:
            raise StoreUnavailable(f"cannot open SQLite store {self._path}: {error}") from error
        try:
            for pragma in CONNECTION_PRAGMAS:
                await connection.execute(pragma.format(busy_timeout_ms=self._busy_timeout_ms))
            await connection.executescript(f"BEGIN IMMEDIATE;{SCHEMA}{RECOUNT_IF_DRIFTED}COMMIT;")
        except sqlite3.Error as error:
            await connection.close()
            raise StoreUnavailable(f"cannot prepare SQLite store {self._path}: {error}") from error
        self._connection = connection

    async def close(self) -> None:
        """Close the connection; the store may be opened again."""
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()

    async def ping(self) -> bool:
        """Whether the store is open and answers a query now."""
        if self._connection is None:
            return False
        try:
            await self._connection.execute_fetchall("SELECT 1")
        except sqlite3.Error:
            return False
        return True

    def _db(self) -> aiosqlite.Connection:
        if self._connection is None:
            raise StoreUnavailable("SQLite store is not open")
        return self._connection

    async def _rows(self, sql: str, parameters: Sequence[object] = ()) -> list[Row]:
        with unavailable_reported(self._path):
            return list(await self._db().execute_fetchall(sql, parameters))

    async def _scalar(self, sql: str, parameters: Sequence[object] = ()) -> Any:
        rows = await self._rows(sql, parameters)
        return rows[0][0] if rows else None

    async def _write(self, sql: str, parameters: Sequence[object]) -> int:
        with unavailable_reported(self._path):
            async with self._db().execute(sql, parameters) as cursor:
                return cursor.rowcount

    async def _one(
        self, model: type[RecordT], table: str, key_column: str, key: str, kind: str
    ) -> RecordT | None:
        """The record of `key` in `table`; None if there is none or it cannot be read (logged as `kind`)."""
        document = await self._scalar(f"SELECT document FROM {table} WHERE {key_column} = ?", (key,))
        return None if document is None else read_one(model.model_validate_json, document, kind, key)

    async def _listed(
        self, table: str, key: str, order: str, filters: Iterable[Filter], limit: int, offset: int
    ) -> tuple[list[tuple[object, str]], int]:
        """A page of (key, document) rows and the count of all matches.

        A limit of 0 or less gives no rows (as in the Mongo store, where `limit(0)` would mean "no limit").
        """
        where, parameters = _where(filters)
        rows = await self._rows(
            f"SELECT {key}, document FROM {table}{where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*parameters, max(limit, 0), max(offset, 0)],
        )
        total = await self._scalar(f"SELECT COUNT(*) FROM {table}{where}", parameters)
        return [(row[0], row[1]) for row in rows], int(total)

    # --- event store -------------------------------------------------------------------------------
    async def append_event(self, document: dict[str, Any]) -> bool:
        """Store an event document once per `message_id`; False if it was already stored."""
        inserted = await self._write(INSERT_EVENT, sqlite_batch.event_row(document))
        return inserted == 1

    async def append_events(self, documents: Sequence[dict[str, Any]]) -> int:
        """Store several events at once, each once per `message_id`; returns how many were new."""
        with unavailable_reported(self._path):
            return await sqlite_batch.append_events(self._db(), documents)

    async def list_events(self, query: EventQuery) -> tuple[list[dict[str, Any]], int]:
        """Events matching the query, oldest first, with their total; older versions shown upcast."""
        filters = [
            ("job_id = ?", query.job_id),
            ("execution_id = ?", query.execution_id),
            ("type = ?", query.type),
            ("actor = ?", query.actor),
            ("occurred_at >= ?", _key(query.since)),
            ("occurred_at < ?", _key(query.until)),
        ]
        documents, total = await self._listed(
            "scheduler_events", "message_id", "occurred_at, position", filters, query.limit, query.offset
        )
        return read_all(_event_document, documents, "events"), total

    async def iter_events(self, batch_size: int = 5000, after: int = 0) -> AsyncIterator[list[StoredEvent]]:
        """Every stored event after position `after`, in store order, in batches (for replay)."""
        while True:
            rows = await self._rows(
                "SELECT position, document FROM scheduler_events"
                " WHERE position > ? ORDER BY position LIMIT ?",
                (after, batch_size),
            )
            if not rows:
                return
            yield [StoredEvent(row[0], text=row[1]) for row in rows]  # parsed when read (replay: rarely)
            after = rows[-1][0]

    async def count_events(self) -> int:
        """How many events the store holds."""
        return int(await self._scalar("SELECT COUNT(*) FROM scheduler_events"))

    # --- read models: writes -------------------------------------------------------------------------
    async def apply_changes(self, changes: ReadModelChanges) -> None:
        """Write every change of a batch together, in one transaction."""
        if not changes:
            return
        with unavailable_reported(self._path):
            await sqlite_read_models.apply_changes(self._db(), LIVE, changes)

    async def load_view(
        self, execution_ids: Collection[str], job_ids: Collection[str], backfill_ids: Collection[str] = ()
    ) -> ReadModelView:
        """The records and tombstones of these executions, jobs and backfills in the live read models."""
        with unavailable_reported(self._path):
            return await sqlite_read_models.load_view(self._db(), LIVE, execution_ids, job_ids, backfill_ids)

    async def store_batch(
        self, documents: Sequence[dict[str, Any]], changes_of: ChangesOf, keys: ViewKeys
    ) -> int:
        """Append the events and write their read-model changes in one transaction."""
        with unavailable_reported(self._path):
            return await sqlite_batch.store_batch(self._db(), documents, changes_of, keys)

    # --- read models: reads ----------------------------------------------------------------------
    async def get_job(self, job_id: str) -> JobRecord | None:
        """The job's record; None if no such job was registered."""
        return await self._one(JobRecord, "scheduler_jobs", "job_id", job_id, "jobs")

    async def _job_views(self, where: str, parameters: Sequence[object]) -> list[JobView]:
        rows = await self._rows(
            "SELECT job.job_id, job.document, metadata.document FROM scheduler_jobs AS job"
            " LEFT JOIN scheduler_metadata AS metadata ON metadata.job_id = job.job_id"
            f"{where} ORDER BY job.job_id",
            parameters,
        )
        views = []
        for job_id, job, metadata in rows:
            record = read_one(JobRecord.model_validate_json, job, "jobs", job_id)
            if record is not None:
                extra = None if metadata is None else read_one(_metadata, metadata, "metadata", job_id)
                views.append(JobView(job=record, metadata=extra))
        return views

    async def list_jobs(self) -> list[JobView]:
        """Every job with its metadata, ordered by job_id, in one query."""
        return await self._job_views("", ())

    async def get_job_view(self, job_id: str) -> JobView | None:
        """The job with its metadata; None if no such job was registered."""
        views = await self._job_views(" WHERE job.job_id = ?", (job_id,))
        return views[0] if views else None

    async def get_executions(self, execution_ids: Collection[str]) -> dict[str, ExecutionRecord]:
        """The executions among `execution_ids` that exist, by id (one query)."""
        found: dict[str, ExecutionRecord] = {}
        ids = list(execution_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = await self._rows(
                "SELECT execution_id, document FROM scheduler_executions"
                f" WHERE execution_id IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            for record in read_all(ExecutionRecord.model_validate_json, rows, "executions"):
                found[record.execution_id] = record
        return found

    async def get_execution(self, execution_id: str) -> ExecutionRecord | None:
        """The execution's record; None if there is none (never, or pruned)."""
        return await self._one(
            ExecutionRecord, "scheduler_executions", "execution_id", execution_id, "executions"
        )

    async def list_executions(self, query: ExecutionQuery) -> tuple[list[ExecutionRecord], int]:
        """Executions newest first (`timestamp` descending) with the total count matching the filters."""
        where, parameters = execution_queries.execution_filters(query)
        rows = await self._rows(
            execution_queries.page_sql(where), [*parameters, max(query.limit, 0), max(query.offset, 0)]
        )
        # Without a time range, the total from the trigger-kept counts: a sum over a few hundred rows.
        total = await self._scalar(execution_queries.total_sql(query, where), parameters)
        return read_all(ExecutionRecord.model_validate_json, rows, "executions"), int(total)

    async def execution_counts(self, boundaries: Sequence[datetime]) -> list[dict[str, int]]:
        """Executions per status in each window between consecutive `boundaries`; empty with fewer than 2."""
        if len(boundaries) < 2:
            return []
        sql, parameters = execution_queries.window_counts_sql(boundaries)
        return execution_queries.window_counts(await self._rows(sql, parameters), len(boundaries) - 1)

    async def job_durations(self, since: datetime, until: datetime) -> list[JobDurations]:
        """Per job, duration statistics of its finished executions created in `[since, until)`."""
        parameters = execution_queries.job_durations_parameters(since, until)
        return execution_queries.job_durations(await self._rows(execution_queries.JOB_DURATIONS, parameters))

    async def last_executions(self) -> dict[str, ExecutionRecord]:
        """The newest execution of every job that has one, by job id."""
        rows = await self._rows(execution_queries.LAST_EXECUTIONS)
        documents = [(index, row[0]) for index, row in enumerate(rows) if row[0] is not None]
        records = read_all(ExecutionRecord.model_validate_json, documents, "executions")
        return {record.job_id: record for record in records}

    async def count_executions(self, status: str | None = None) -> int:
        """How many executions there are (of `status`, if given), from the counters."""
        where, parameters = _where([("status = ?", status)])
        total = await self._scalar(
            f"SELECT COALESCE(SUM(n), 0) FROM scheduler_execution_counts{where}", parameters
        )
        return int(total)

    async def execution_stats(self, job_id: str) -> ExecutionStats:
        """Counts per status, average duration of successes (2 decimals) and the last execution."""
        rows = await self._rows(EXECUTION_STATS, [*STATS_STATUSES, "success", job_id, job_id])
        total, *counts = rows[0][: 1 + len(STATS_STATUSES)]
        success_average, last = rows[0][1 + len(STATS_STATUSES) :]
        last_execution = None
        if last is not None:
            status, timestamp, execution_time = json.loads(last)
            last_execution = {
                "status": status,
                "timestamp": datetime.fromisoformat(timestamp),
                "execution_time": execution_time,
            }
        return build_execution_stats(
            dict(zip(STATS_STATUSES, counts, strict=True)), total, success_average, last_execution
        )

    async def list_history(self, query: HistoryQuery) -> tuple[list[HistoryRecord], int]:
        """History newest first with the total count."""
        filters = [("job_id = ?", query.job_id), ("status = ?", query.status)]
        documents, total = await self._listed(
            "scheduler_history", "history_id", NEWEST_FIRST, filters, query.limit, query.offset
        )
        return read_all(HistoryRecord.model_validate_json, documents, "history"), total

    async def get_backfill(self, backfill_id: str) -> BackfillRecord | None:
        """One backfill, or None."""
        return await self._one(BackfillRecord, "scheduler_backfills", "backfill_id", backfill_id, "backfills")

    async def list_backfills(self, query: BackfillQuery) -> tuple[list[BackfillRecord], int]:
        """A page of backfills, newest first, and how many match."""
        documents, total = await self._listed(
            "scheduler_backfills",
            "backfill_id",
            BACKFILLS_NEWEST_FIRST,
            backfill_filters(query),
            query.limit,
            query.offset,
        )
        return read_all(BackfillRecord.model_validate_json, documents, "backfills"), total

    async def list_scheduler_states(self) -> list[SchedulerStateRecord]:
        """Every scheduler process's state record, by scheduler id."""
        rows = await self._rows("SELECT scheduler_id, document FROM scheduler_state ORDER BY scheduler_id")
        return read_all(SchedulerStateRecord.model_validate_json, rows, "scheduler_state")

    # --- retention -------------------------------------------------------------------------------
    async def prune(self, cutoffs: RetentionCutoffs) -> dict[str, int]:
        """Retention: remove what is older than the cut-offs; how many of each kind went."""
        with unavailable_reported(self._path):
            removed = await sqlite_read_models.prune_read_models(self._db(), LIVE, cutoffs)
        removed["events"] = 0
        if cutoffs.events is not None:
            removed["events"] = await self._write(
                "DELETE FROM scheduler_events WHERE occurred_at < ?", (as_utc_key(cutoffs.events),)
            )
        return removed

    # --- the projector's own state ---------------------------------------------------------------
    async def put_projector_state(self, record: ProjectorStateRecord) -> None:
        """Keep a projector's state; records not updated for a week are removed."""
        with unavailable_reported(self._path):
            async with write_transaction(self._db()):
                await self._db().execute(UPSERT_PROJECTOR_STATE, projector_state_row(record))
                await self._db().execute(
                    "DELETE FROM scheduler_projector_state WHERE updated_at < ?",
                    (as_utc_key(record.updated_at - PROJECTOR_STATE_KEPT),),
                )

    async def list_projector_states(self) -> list[ProjectorStateRecord]:
        """Every projector process's state record, by projector id."""
        rows = await self._rows(
            "SELECT projector_id, document FROM scheduler_projector_state ORDER BY projector_id"
        )
        return read_all(ProjectorStateRecord.model_validate_json, rows, "projector_state")

    async def projector_lag_s(self) -> float | None:
        """Seconds the read models are behind the event log; None if no projector ever reported."""
        return projection_lag_s(await self.list_projector_states(), datetime.now(UTC))

    # --- replay ------------------------------------------------------------------------------------
    async def begin_rebuild(self, holder: str = "replay") -> ReadModelRebuild:
        """Take the replay lock for `holder` and fresh tables to replay into."""
        rebuild = SQLiteRebuild(self._db(), self._path, holder)
        await rebuild.create()
        return rebuild
