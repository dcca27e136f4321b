"""The read-model tables of the SQLite store, by name: the live ones, or the fresh ones a replay fills.

Batch reads and writes: one call into SQLite's thread per batch of events (`sqlite_thread`), its statements
`executemany` where there are several rows, one transaction per batch, which is what makes the projector and
the replay fast. `read_view` and `write_changes` are the blocking halves, for work already on that thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from datetime import datetime
from functools import partial

import aiosqlite

from domain.read_model import ReadModelChanges
from domain.read_model import ReadModelView
from domain.records import BackfillRecord
from domain.records import ExecutionRecord
from domain.records import ExecutionTombstone
from domain.records import JobRecord
from domain.records import MetadataRecord
from domain.records import Record
from domain.records import as_utc_key
from infrastructure.store.port import RetentionCutoffs
from infrastructure.store.read_model_names import LIVE
from infrastructure.store.read_model_names import ReadModelNames
from infrastructure.store.sqlite_schema import insert_tombstone
from infrastructure.store.sqlite_schema import upsert_document
from infrastructure.store.sqlite_schema import upsert_execution
from infrastructure.store.sqlite_schema import upsert_history
from infrastructure.store.sqlite_thread import immediate_transaction
from infrastructure.store.sqlite_thread import on_connection_thread

CHUNK = 500  # keys per `IN (...)`: far below SQLite's limit on host parameters


def execution_row(record: ExecutionRecord) -> tuple[object, ...]:
    """The executions table's row of a record: indexed columns, then the document."""
    return (
        record.execution_id,
        record.job_id,
        record.status,
        int(record.is_manual),
        as_utc_key(record.timestamp),
        record.execution_time,
        record.model_dump_json(),
    )


def _documents(
    connection: sqlite3.Connection, table: str, key_column: str, keys: Collection[str]
) -> list[str]:
    documents: list[str] = []
    ordered = sorted(keys)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        rows = connection.execute(
            f"SELECT document FROM {table} WHERE {key_column} IN ({', '.join('?' * len(chunk))})", chunk
        )
        documents.extend(row[0] for row in rows)
    return documents


def read_view(
    connection: sqlite3.Connection,
    tables: ReadModelNames,
    execution_ids: Collection[str],
    job_ids: Collection[str],
    backfill_ids: Collection[str] = (),
) -> ReadModelView:
    """The records (and tombstones) of these executions, jobs and backfills; absent keys have no record."""
    executions = _documents(connection, tables.executions, "execution_id", execution_ids)
    tombstones = _documents(connection, tables.tombstones, "execution_id", execution_ids)
    jobs = _documents(connection, tables.jobs, "job_id", job_ids)
    metadata = _documents(connection, tables.metadata, "job_id", job_ids)
    backfills = _documents(connection, tables.backfills, "backfill_id", backfill_ids)
    return ReadModelView.of(
        map(ExecutionRecord.model_validate_json, executions),
        map(ExecutionTombstone.model_validate_json, tombstones),
        map(JobRecord.model_validate_json, jobs),
        map(MetadataRecord.model_validate_json, metadata),
        map(BackfillRecord.model_validate_json, backfills),
    )


async def load_view(
    connection: aiosqlite.Connection,
    tables: ReadModelNames,
    execution_ids: Collection[str],
    job_ids: Collection[str],
    backfill_ids: Collection[str] = (),
) -> ReadModelView:
    """`read_view` in one call into the connection's thread."""
    return await on_connection_thread(
        connection,
        partial(
            read_view, tables=tables, execution_ids=execution_ids, job_ids=job_ids, backfill_ids=backfill_ids
        ),
    )


def write_changes(
    connection: sqlite3.Connection,
    tables: ReadModelNames,
    changes: ReadModelChanges,
    state_table: str | None,
) -> None:
    """Every change of a batch, in the transaction in progress (the caller begins and commits it)."""
    puts = [execution_row(record) for record in changes.executions.values() if record is not None]
    deletes = [(key,) for key, record in changes.executions.items() if record is None]
    if puts:
        connection.executemany(upsert_execution(tables.executions), puts)
    if deletes:
        connection.executemany(f"DELETE FROM {tables.executions} WHERE execution_id = ?", deletes)
    if changes.tombstones:
        connection.executemany(
            insert_tombstone(tables.tombstones),
            [
                (t.execution_id, as_utc_key(t.deleted_at), t.model_dump_json())
                for t in changes.tombstones.values()
            ],
        )
    if changes.history:
        connection.executemany(
            upsert_history(tables.history),
            [
                (h.history_id, h.job_id, h.status, as_utc_key(h.timestamp), h.model_dump_json())
                for h in changes.history.values()
            ],
        )
    documents: list[tuple[str, str, dict[str, Record]]] = [
        (tables.jobs, "job_id", dict(changes.jobs)),
        (tables.metadata, "job_id", dict(changes.metadata)),
        (tables.backfills, "backfill_id", dict(changes.backfills)),
    ]
    if state_table is not None:
        documents.append((state_table, "scheduler_id", dict(changes.scheduler_states)))
    for table, key_column, records in documents:
        if records:
            connection.executemany(
                upsert_document(table, key_column),
                [(key, record.model_dump_json()) for key, record in records.items()],
            )


def _write_in_transaction(
    connection: sqlite3.Connection, tables: ReadModelNames, changes: ReadModelChanges
) -> None:
    state_table = "scheduler_state" if tables == LIVE else None
    if connection.in_transaction:
        write_changes(connection, tables, changes, state_table)
        return
    with immediate_transaction(connection):
        write_changes(connection, tables, changes, state_table)


async def apply_changes(
    connection: aiosqlite.Connection, tables: ReadModelNames, changes: ReadModelChanges
) -> None:
    """Write the changes, in a transaction of its own unless one is in progress.

    `write_changes` in a transaction of its own, unless one is in progress (a replay's final catch-up
    runs inside the swap's transaction), in one call into the connection's thread.
    """
    await on_connection_thread(connection, partial(_write_in_transaction, tables=tables, changes=changes))


FINISHED_AT = "julianday(json_extract(document, '$.finished_at'))"
"""When an execution ended, as a number SQLite compares (NULL while it has not, or never will: missed)."""


async def prune_read_models(
    connection: aiosqlite.Connection, tables: ReadModelNames, cutoffs: RetentionCutoffs
) -> dict[str, int]:
    """Delete what retention removes from the read models.

    Executions that ended before their status's cut-off (never active ones), history and tombstones
    older than the history cut-off. Each statement is its own transaction unless one is in progress.

    An execution ages from its end: the later of its creation (`timestamp`) and its `finished_at` (a run
    longer than its retention is kept for the retention after it ends; a missed or skipped record, which
    has no `finished_at`, ended when it was created).
    """
    removed = {"executions": 0, "history": 0, "tombstones": 0}

    async def delete(sql: str, parameters: tuple[object, ...]) -> int:
        async with connection.execute(sql, parameters) as cursor:
            return cursor.rowcount

    for status, cutoff in cutoffs.removable_executions.items():
        removed["executions"] += await delete(
            f"DELETE FROM {tables.executions} WHERE status = ? AND timestamp < ? AND "
            f"coalesce({FINISHED_AT} < julianday(?), 1)",
            (status, _key(cutoff), _key(cutoff)),
        )
    if cutoffs.history is not None:
        history = _key(cutoffs.history)
        removed["history"] = await delete(f"DELETE FROM {tables.history} WHERE timestamp < ?", (history,))
        removed["tombstones"] = await delete(
            f"DELETE FROM {tables.tombstones} WHERE deleted_at < ?", (history,)
        )
    return removed


def _key(moment: datetime) -> str:
    return as_utc_key(moment)
