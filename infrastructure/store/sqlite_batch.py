"""Batch appends to the SQLite event store.

Many rows per statement (`executemany`), one transaction per batch (the read models' batch writes are in
`sqlite_read_models`); `store_batch` appends a batch and writes the read-model changes it makes in one
transaction (the projector's path).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

import aiosqlite

from domain.read_model import ReadModelChanges, ReadModelView
from domain.records import as_utc_key
from infrastructure.store.documents import encode_event_document, event_fields
from infrastructure.store.read_model_names import LIVE
from infrastructure.store.sqlite_read_models import load_view, write_changes
from infrastructure.store.sqlite_schema import INSERT_EVENT, write_transaction


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


async def append_events(connection: aiosqlite.Connection, documents: Sequence[dict[str, Any]]) -> int:
    """Insert the events in one transaction, each once per `message_id`; how many were new."""
    rows = event_rows(documents)  # validates every envelope before anything is written
    if not rows:
        return 0
    before = connection.total_changes
    async with write_transaction(connection):
        await connection.executemany(INSERT_EVENT, rows)
    return connection.total_changes - before


async def store_batch(
    connection: aiosqlite.Connection,
    documents: Sequence[dict[str, Any]],
    changes_of: Callable[[ReadModelView], ReadModelChanges],
    keys: tuple[Collection[str], ...],
) -> int:
    """Append documents and write their read-model changes in one transaction.

    Append `documents` and write what `changes_of` makes of the live records `keys` (execution ids,
    job ids) name, in one transaction; how many documents were new.
    """
    rows = event_rows(documents)  # validates every envelope before anything is written
    async with write_transaction(connection):
        before = connection.total_changes
        if rows:
            await connection.executemany(INSERT_EVENT, rows)
        stored = connection.total_changes - before
        changes = changes_of(await load_view(connection, LIVE, *keys))
        if changes:
            await write_changes(connection, LIVE, changes, "scheduler_state")
    return stored
