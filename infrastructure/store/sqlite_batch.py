"""Batch appends to the SQLite event store.

Many rows per statement (`executemany`), one transaction per batch (the read models' batch writes are in
`sqlite_read_models`); `store_batch` appends a batch and writes the read-model changes it makes in one
transaction (the projector's path), all of it in one call into the connection's thread (`sqlite_thread`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from functools import partial
from typing import Any

import aiosqlite

from domain.records import as_utc_key
from infrastructure.store.documents import encode_event_document
from infrastructure.store.documents import event_fields
from infrastructure.store.port import ChangesOf
from infrastructure.store.port import ViewKeys
from infrastructure.store.read_model_names import LIVE
from infrastructure.store.sqlite_read_models import read_view
from infrastructure.store.sqlite_read_models import write_changes
from infrastructure.store.sqlite_schema import INSERT_EVENT
from infrastructure.store.sqlite_thread import immediate_transaction
from infrastructure.store.sqlite_thread import on_connection_thread


def event_row(document: dict[str, Any]) -> tuple[object, ...]:
    """The `INSERT_EVENT` parameters of one event envelope (validated on the way)."""
    fields = event_fields(document)
    return (
        fields.message_id,
        fields.type,
        fields.job_id,
        fields.execution_id,
        fields.actor,
        as_utc_key(fields.occurred_at),
        encode_event_document(document),
    )


def event_rows(documents: Sequence[dict[str, Any]]) -> list[tuple[object, ...]]:
    """The event table's rows of these documents.

    Raises ValueError or TypeError on a bad envelope, before anything is written.
    """
    return [event_row(document) for document in documents]


def _inserted(connection: sqlite3.Connection, rows: Sequence[tuple[object, ...]]) -> int:
    """Insert the event rows in the transaction in progress; how many were new."""
    before = connection.total_changes
    if rows:
        connection.executemany(INSERT_EVENT, rows)
    return connection.total_changes - before


def _append(connection: sqlite3.Connection, rows: Sequence[tuple[object, ...]]) -> int:
    with immediate_transaction(connection):
        return _inserted(connection, rows)


async def append_events(connection: aiosqlite.Connection, documents: Sequence[dict[str, Any]]) -> int:
    """Insert the events in one transaction, each once per `message_id`; how many were new."""
    rows = event_rows(documents)  # validates every envelope before anything is written
    if not rows:
        return 0
    return await on_connection_thread(connection, partial(_append, rows=rows))


def _store(
    connection: sqlite3.Connection,
    rows: Sequence[tuple[object, ...]],
    changes_of: ChangesOf,
    keys: ViewKeys,
) -> int:
    with immediate_transaction(connection):
        stored = _inserted(connection, rows)
        changes = changes_of(read_view(connection, LIVE, *keys))
        if changes:
            write_changes(connection, LIVE, changes, "scheduler_state")
    return stored


async def store_batch(
    connection: aiosqlite.Connection,
    documents: Sequence[dict[str, Any]],
    changes_of: ChangesOf,
    keys: ViewKeys,
) -> int:
    """Append documents and write their read-model changes in one transaction.

    Append `documents` and write what `changes_of` makes of the live records `keys` (execution ids,
    job ids) name, in one transaction; how many documents were new. The whole of it is one call into the
    connection's thread: `changes_of` (a pure fold) runs there too.
    """
    rows = event_rows(documents)  # validates every envelope before anything is written
    return await on_connection_thread(
        connection, partial(_store, rows=rows, changes_of=changes_of, keys=keys)
    )
