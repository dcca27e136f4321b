"""Run claims in an SQLite file of their own (table `scheduler_run_claims`), safe across processes.

The claims live beside the store's file, not in it (`claims_file`): a worker claims each run before it
starts it, and in the store's file that write waited for the projector's write lock (one writer per file,
even in WAL mode). Versions before kept the table in the store's file: a new claims file takes the claims
found there once, when it is first opened, so an attempt claimed before an upgrade is not run again after it.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC
from datetime import datetime
from pathlib import Path

from infrastructure.store.sqlite_side_table import SideTable
from infrastructure.store.sqlite_thread import on_connection_thread

SCHEMA = """
CREATE TABLE IF NOT EXISTS scheduler_run_claims (
    execution_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    worker_id TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    PRIMARY KEY (execution_id, attempt)
)
"""
# `PRAGMA user_version` of a claims file once the claims of the store's file were taken over.
TAKEN_OVER = 1


def claims_file(store_file: Path) -> Path:
    """The run claims' file beside the store's: `data/scheduler.sqlite3` → `data/scheduler-claims.sqlite3`."""
    return store_file.with_name(f"{store_file.stem}-claims{store_file.suffix}")


class SQLiteRunClaims(SideTable):
    """Run claims in an SQLite table: one row per (execution, attempt).

    `earlier` is the file an earlier version kept its claims in (the store's): taken over once (see the
    module's docstring). Without it the claims are only those of `path`.
    """

    schema = (SCHEMA,)
    not_open = "run claims are not open"

    def __init__(self, path: Path, *, earlier: Path | None = None) -> None:
        super().__init__(path)
        self._earlier = earlier

    async def _prepare(self) -> None:
        """Take over the claims of the earlier file, once per claims file (any process may be first)."""
        earlier = self._earlier
        if earlier is None or not earlier.exists() or earlier.resolve() == self._path.resolve():
            return
        db = self._db
        async with db.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        if row is not None and row[0] >= TAKEN_OVER:
            return
        await db.execute("ATTACH DATABASE ? AS earlier", (str(earlier),))
        try:
            await db.execute("BEGIN IMMEDIATE")  # a second process opening now waits, then finds it done
            async with db.execute("PRAGMA user_version") as cursor:
                row = await cursor.fetchone()
            async with db.execute(
                "SELECT 1 FROM earlier.sqlite_master WHERE type = 'table' AND name = 'scheduler_run_claims'"
            ) as cursor:
                has_claims = await cursor.fetchone() is not None
            if (row is None or row[0] < TAKEN_OVER) and has_claims:
                await db.execute(
                    "INSERT OR IGNORE INTO scheduler_run_claims SELECT * FROM earlier.scheduler_run_claims"
                )
            await db.execute(f"PRAGMA user_version = {TAKEN_OVER}")
            await db.commit()
        except BaseException:
            await db.rollback()
            raise
        finally:
            await db.execute("DETACH DATABASE earlier")

    async def claim_run(self, execution_id: str, attempt: int, worker_id: str) -> bool:
        """True for the first claim of (execution_id, attempt), False for every later one.

        Insert and commit in one hop to the connection's thread: a claim is on every run's path (scheduler
        and worker).
        """
        row = (execution_id, attempt, worker_id, datetime.now(UTC).isoformat())

        def insert(connection: sqlite3.Connection) -> bool:
            cursor = connection.execute("INSERT OR IGNORE INTO scheduler_run_claims VALUES (?, ?, ?, ?)", row)
            connection.commit()
            return cursor.rowcount == 1

        return await on_connection_thread(self._db, insert)
