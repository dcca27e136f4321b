"""Batch writes of the SQLite store: many rows per statement (`executemany`), one transaction per batch.

What makes the projector and the replay fast: a handful of calls into SQLite's thread per batch of events
instead of three per event.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiosqlite

from domain.records import as_utc_key
from infrastructure.store.documents import encode_event_document, event_fields
from infrastructure.store.port import ReadModelChanges
from infrastructure.store.sqlite_schema import INSERT_EVENT, UPSERT_EXECUTION, UPSERT_HISTORY


def _upsert_document(table: str, key_column: str) -> str:
    return (
        f"INSERT INTO {table} ({key_column}, document) VALUES (?, ?)"
        f" ON CONFLICT ({key_column}) DO UPDATE SET document = excluded.document"
    )


def event_rows(documents: Sequence[dict[str, Any]]) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for document in documents:
        fields = event_fields(document)
        rows.append(
            (
                fields.message_id,
                fields.type,
                fields.job_id,
                fields.execution_id,
                fields.actor,
                as_utc_key(fields.occurred_at),
                encode_event_document(document),
            )
        )
    return rows


async def append_events(connection: aiosqlite.Connection, documents: Sequence[dict[str, Any]]) -> int:
    rows = event_rows(documents)  # validates every envelope before anything is written
    if not rows:
        return 0
    before = connection.total_changes
    await connection.execute("BEGIN IMMEDIATE")
    try:
        await connection.executemany(INSERT_EVENT, rows)
        await connection.commit()
    except BaseException:
        await connection.rollback()
        raise
    return connection.total_changes - before


async def apply_changes(connection: aiosqlite.Connection, changes: ReadModelChanges) -> None:
    if not changes:
        return
    puts = [record for record in changes.executions.values() if record is not None]
    deletes = [(execution_id,) for execution_id, record in changes.executions.items() if record is None]
    await connection.execute("BEGIN IMMEDIATE")
    try:
        if puts:
            await connection.executemany(
                UPSERT_EXECUTION,
                [
                    (
                        record.execution_id,
                        record.job_id,
                        record.status,
                        int(record.is_manual),
                        as_utc_key(record.timestamp),
                        record.execution_time,
                        record.model_dump_json(),
                    )
                    for record in puts
                ],
            )
        if deletes:
            await connection.executemany("DELETE FROM scheduler_executions WHERE execution_id = ?", deletes)
        if changes.history:
            await connection.executemany(
                UPSERT_HISTORY,
                [
                    (h.history_id, h.job_id, h.status, as_utc_key(h.timestamp), h.model_dump_json())
                    for h in changes.history.values()
                ],
            )
        for table, key_column, records in (
            ("scheduler_jobs", "job_id", changes.jobs),
            ("scheduler_metadata", "job_id", changes.metadata),
            ("scheduler_state", "scheduler_id", changes.scheduler_states),
        ):
            if records:
                await connection.executemany(
                    _upsert_document(table, key_column),
                    [(key, record.model_dump_json()) for key, record in records.items()],
                )
        await connection.commit()
    except BaseException:
        await connection.rollback()
        raise
