"""Bulk actions in the SQLite database file (table `scheduler_bulk_actions`), beside the read models.

One row per action; its plan (the run ids, in order) is a JSON array in `targets`, at most 10,000 ids.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import cast

import aiosqlite

from infrastructure.store.bulk_actions_port import BulkActionKind
from infrastructure.store.bulk_actions_port import BulkActionProgress
from infrastructure.store.bulk_actions_port import BulkActionRecord
from infrastructure.store.bulk_actions_port import BulkActionState
from infrastructure.store.sqlite_side_table import SideTable
from infrastructure.store.sqlite_side_table import utc_text

SCHEMA = """
CREATE TABLE IF NOT EXISTS scheduler_bulk_actions (
    operation_id TEXT PRIMARY KEY,
    action TEXT NOT NULL,
    actor TEXT NOT NULL,
    producer TEXT NOT NULL,
    reason TEXT NOT NULL,
    selected INTEGER NOT NULL,
    missing INTEGER NOT NULL,
    skipped INTEGER NOT NULL,
    targets TEXT NOT NULL,
    started_at TEXT NOT NULL,
    sent INTEGER NOT NULL,
    state TEXT NOT NULL,
    error TEXT,
    finished_at TEXT
)
"""
INDEX = (
    "CREATE INDEX IF NOT EXISTS scheduler_bulk_actions_state ON scheduler_bulk_actions (state, started_at)"
)
COLUMNS = (
    "operation_id, action, actor, producer, reason, selected, missing, skipped, targets, started_at, sent, "
    "state, error, finished_at"
)


class SQLiteBulkActions(SideTable):
    """The bulk-action store over its own connection to the database file."""

    schema = (SCHEMA, INDEX)
    not_open = "the bulk-action store is not open"

    async def put(self, record: BulkActionRecord) -> None:
        """Store the action (replacing one of the same id)."""
        await self._db.execute(
            f"INSERT OR REPLACE INTO scheduler_bulk_actions ({COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.operation_id,
                record.action,
                record.actor,
                record.producer,
                record.reason,
                record.selected,
                record.missing,
                record.skipped,
                json.dumps(record.targets),
                utc_text(record.started_at),
                record.sent,
                record.state,
                record.error,
                utc_text(record.finished_at) if record.finished_at else None,
            ),
        )
        await self._db.commit()

    async def get(self, operation_id: str) -> BulkActionRecord | None:
        """The action of this id, if kept."""
        async with self._db.execute(
            f"SELECT {COLUMNS} FROM scheduler_bulk_actions WHERE operation_id = ?", (operation_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return _record(row) if row is not None else None

    async def record_progress(self, operation_id: str, progress: BulkActionProgress) -> None:
        """Store how far the action got."""
        finished = utc_text(progress.finished_at) if progress.finished_at else None
        await self._db.execute(
            "UPDATE scheduler_bulk_actions SET sent = ?, state = ?, error = ?, finished_at = ? "
            "WHERE operation_id = ?",
            (progress.sent, progress.state, progress.error, finished, operation_id),
        )
        await self._db.commit()

    async def unfinished(self) -> list[BulkActionRecord]:
        """The running actions, oldest first."""
        async with self._db.execute(
            f"SELECT {COLUMNS} FROM scheduler_bulk_actions WHERE state = 'running' ORDER BY started_at"
        ) as cursor:
            rows = await cursor.fetchall()
        return [_record(row) for row in rows]

    async def prune(self, keep: int) -> int:
        """Forget the finished actions beyond the newest `keep`."""
        cursor = await self._db.execute(
            "DELETE FROM scheduler_bulk_actions WHERE state != 'running' AND operation_id NOT IN ("
            "SELECT operation_id FROM scheduler_bulk_actions WHERE state != 'running' "
            "ORDER BY started_at DESC LIMIT ?)",
            (keep,),
        )
        await self._db.commit()
        return cursor.rowcount


def _record(row: aiosqlite.Row) -> BulkActionRecord:
    (operation_id, action, actor, producer, reason, selected, missing, skipped, targets, started_at, sent,
     state, error, finished_at) = row  # fmt: skip
    return BulkActionRecord(
        operation_id=operation_id,
        action=cast(BulkActionKind, action),
        actor=actor,
        producer=producer,
        reason=reason,
        selected=int(selected),
        missing=int(missing),
        skipped=int(skipped),
        targets=tuple(json.loads(targets)),
        started_at=datetime.fromisoformat(started_at),
        sent=int(sent),
        state=cast(BulkActionState, state),
        error=error,
        finished_at=datetime.fromisoformat(finished_at) if finished_at else None,
    )
