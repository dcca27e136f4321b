"""Run claims in the SQLite database file (table `scheduler_run_claims`), safe across processes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from infrastructure.store.port import StoreUnavailable
from infrastructure.store.sqlite_side_table import open_side_table

SCHEMA = """
CREATE TABLE IF NOT EXISTS scheduler_run_claims (
    execution_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    worker_id TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    PRIMARY KEY (execution_id, attempt)
)
"""


class SQLiteRunClaims:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._connection: aiosqlite.Connection | None = None

    async def open(self) -> None:
        if self._connection is None:
            self._connection = await open_side_table(self._path, SCHEMA)

    async def close(self) -> None:
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await connection.close()

    async def claim_run(self, execution_id: str, attempt: int, worker_id: str) -> bool:
        if self._connection is None:
            raise StoreUnavailable("run claims are not open")
        cursor = await self._connection.execute(
            "INSERT OR IGNORE INTO scheduler_run_claims VALUES (?, ?, ?, ?)",
            (execution_id, attempt, worker_id, datetime.now(UTC).isoformat()),
        )
        await self._connection.commit()
        return cursor.rowcount == 1
