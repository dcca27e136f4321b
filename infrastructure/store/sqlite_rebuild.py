"""A replay's fresh read models in the SQLite store: `<table>_rebuild` tables in the same file.

They are created like the live tables (same columns) but with no secondary index: a replay writes into
them as fast as SQLite appends. The swap is one transaction under the write lock: the final catch-up,
`DROP` of the live tables, `ALTER TABLE ... RENAME` of the fresh ones, then the schema's indexes and
triggers and the execution totals, built on the new tables. Readers (WAL) see the old tables until it
commits and the new ones after; the projector waits for the lock (and applies its batch to the new ones).

One replay at a time: `scheduler_replay_lock` holds the running one, refreshed as it writes.

While it rebuilds, the connection gets a larger page cache (the fresh tables' primary keys are random ids:
their B-trees are written all over) and checkpoints the WAL less often (a page written by many batches is
copied to the database once per checkpoint); both are restored by `discard`. `synchronous` stays NORMAL: it
would apply to every page this connection checkpoints into the file, the event store's included, and with
WAL a commit does not wait for the disk anyway (OFF saves about 5 % of the writing, not worth a database
that an OS crash could corrupt).
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Collection
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from domain.read_model import ReadModelChanges
from domain.read_model import ReadModelView
from infrastructure.store import sqlite_read_models
from infrastructure.store.port import REPLAY_LOCK_REFRESH_S
from infrastructure.store.port import REPLAY_LOCK_STALE_S
from infrastructure.store.port import CatchUp
from infrastructure.store.port import Difference
from infrastructure.store.port import ReplayInProgress
from infrastructure.store.port import RetentionCutoffs
from infrastructure.store.read_model_names import LIVE
from infrastructure.store.read_model_names import REBUILD
from infrastructure.store.sqlite_schema import SCHEMA
from infrastructure.store.sqlite_schema import unavailable_reported
from infrastructure.store.sqlite_schema import write_transaction

KEY_COLUMNS = {
    LIVE.executions: "execution_id",
    LIVE.tombstones: "execution_id",
    LIVE.jobs: "job_id",
    LIVE.metadata: "job_id",
    LIVE.history: "history_id",
    LIVE.backfills: "backfill_id",
}
REBUILD_PRAGMAS = {"cache_size": -64 * 1024, "wal_autocheckpoint": 10_000}  # KiB of cache; pages of WAL
RECOUNT = """
DELETE FROM scheduler_execution_counts;
INSERT INTO scheduler_execution_counts
SELECT job_id, status, is_manual, COUNT(*) FROM scheduler_executions GROUP BY job_id, status, is_manual;
"""


def statements(script: str) -> list[str]:
    """The statements of a script, one by one (a trigger's body holds `;` too)."""
    found: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                found.append(pending.strip())
            pending = ""
    return found


def _differences_sql(live: str, fresh: str, key: str) -> str:
    return f"""
SELECT l.{key}, l.document, r.document FROM {live} AS l LEFT JOIN {fresh} AS r ON r.{key} = l.{key}
WHERE r.document IS NOT l.document
UNION ALL
SELECT r.{key}, NULL, r.document FROM {fresh} AS r
WHERE NOT EXISTS (SELECT 1 FROM {live} AS l WHERE l.{key} = r.{key})
"""


def _loaded(document: str | None) -> dict[str, Any] | None:
    if document is None:
        return None
    loaded: dict[str, Any] = json.loads(document)
    return loaded


class SQLiteRebuild:
    """Fresh tables beside the live ones that a replay fills, then swaps in or compares, in one file."""

    def __init__(self, connection: aiosqlite.Connection, path: Path, holder: str) -> None:
        self._connection = connection
        self._path = path
        self._holder = holder
        self._refreshed = 0.0  # monotonic time the lock was last refreshed
        self._pragmas_before: dict[str, int] = {}  # what `REBUILD_PRAGMAS` replaced, for `discard`

    @property
    def needs_live_catch_up(self) -> bool:
        """False: the swap holds the write lock from the final catch-up to the commit."""
        return False  # the swap holds the write lock from the final catch-up to the commit

    async def create(self) -> None:
        """Take the replay lock, then make the fresh tables (one transaction)."""

        async def lock_and_create() -> None:
            await self._lock()
            await self._create_tables()

        with unavailable_reported(self._path):
            await self._in_transaction(lock_and_create)
            for name, value in REBUILD_PRAGMAS.items():
                rows = await self._connection.execute_fetchall(f"PRAGMA {name}")
                self._pragmas_before[name] = int(next(iter(rows))[0])
                await self._connection.execute(f"PRAGMA {name} = {value}")

    async def _lock(self) -> None:
        rows = await self._connection.execute_fetchall(
            "SELECT holder, acquired_at, refreshed_at FROM scheduler_replay_lock WHERE id = 1"
        )
        now = datetime.now(UTC)
        for holder, acquired_at, refreshed_at in rows:
            silent = (now - datetime.fromisoformat(refreshed_at)).total_seconds()
            if silent < REPLAY_LOCK_STALE_S:
                raise ReplayInProgress(
                    f"another replay is running on {self._path}: {holder}, since {acquired_at} "
                    f"(last heard of {silent:.0f} s ago; its lock expires after {REPLAY_LOCK_STALE_S:.0f} s "
                    "of silence)"
                )
        stamp = now.isoformat()
        await self._connection.execute(
            "INSERT OR REPLACE INTO scheduler_replay_lock (id, holder, acquired_at, refreshed_at)"
            " VALUES (1, ?, ?, ?)",
            (self._holder, stamp, stamp),
        )
        self._refreshed = time.monotonic()

    async def _refresh_lock(self) -> None:
        """Within the transaction in progress: tell other replays this one is alive."""
        if time.monotonic() - self._refreshed < REPLAY_LOCK_REFRESH_S:
            return
        await self._connection.execute(
            "UPDATE scheduler_replay_lock SET refreshed_at = ? WHERE id = 1 AND holder = ?",
            (datetime.now(UTC).isoformat(), self._holder),
        )
        self._refreshed = time.monotonic()

    async def _create_tables(self) -> None:
        for live, fresh in zip(LIVE.names(), REBUILD.names(), strict=True):
            await self._connection.execute(f"DROP TABLE IF EXISTS {fresh}")
            rows = await self._connection.execute_fetchall(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (live,)
            )
            (definition,) = next(iter(rows))
            create, count = re.subn(rf"^CREATE TABLE\s+\"?{live}\"?", f"CREATE TABLE {fresh}", definition)
            if count != 1:
                raise RuntimeError(f"unexpected definition of {live}: {definition!r}")
            await self._connection.execute(create)

    async def _in_transaction(self, work: CatchUp) -> None:
        async with write_transaction(self._connection):
            await work()

    async def load_view(
        self, execution_ids: Collection[str], job_ids: Collection[str], backfill_ids: Collection[str] = ()
    ) -> ReadModelView:
        """What the fresh tables hold so far.

        Of these executions (records and tombstones), jobs and backfills.
        """
        with unavailable_reported(self._path):
            return await sqlite_read_models.load_view(
                self._connection, REBUILD, execution_ids, job_ids, backfill_ids
            )

    async def apply_changes(self, changes: ReadModelChanges) -> None:
        """Write a batch's changes to the fresh tables, in one transaction."""
        with unavailable_reported(self._path):
            if self._connection.in_transaction:  # the final catch-up, inside the swap's transaction
                await self._refresh_lock()
            elif time.monotonic() - self._refreshed >= REPLAY_LOCK_REFRESH_S:
                await self._in_transaction(self._refresh_lock)
            if changes:
                await sqlite_read_models.apply_changes(self._connection, REBUILD, changes)

    async def prune(self, cutoffs: RetentionCutoffs) -> None:
        """Retention on the fresh tables (never on the event store)."""
        with unavailable_reported(self._path):
            await sqlite_read_models.prune_read_models(self._connection, REBUILD, cutoffs)

    async def swap_in(self, catch_up: CatchUp) -> None:
        """Run `catch_up`, then replace the live tables by the fresh ones in one transaction.

        Nothing else writes meanwhile, so nothing is lost; a reader sees all old or all new.
        """

        async def swap() -> None:
            await catch_up()
            for live in LIVE.names():
                await self._connection.execute(f"DROP TABLE {live}")  # its indexes and triggers too
            for live, fresh in zip(LIVE.names(), REBUILD.names(), strict=True):
                await self._connection.execute(f"ALTER TABLE {fresh} RENAME TO {live}")
            for statement in statements(SCHEMA + RECOUNT):  # indexes and triggers on the new tables
                await self._connection.execute(statement)

        with unavailable_reported(self._path):
            await self._in_transaction(swap)

    async def compare(self, catch_up: CatchUp, limit: int) -> tuple[list[Difference], int]:
        """Run `catch_up`, then compare the fresh tables with the live ones under the write lock.

        Answers the differences (up to `limit`) and their total; the catch-up's writes are rolled
        back.
        """
        differences: list[Difference] = []
        total = 0
        with unavailable_reported(self._path):
            # Under the write lock, so that the live read models do not move while they are compared; the
            # catch-up's writes (to the fresh tables only) are rolled back with it.
            await self._connection.execute("BEGIN IMMEDIATE")
            try:
                await catch_up()
                for live, fresh in zip(LIVE.names(), REBUILD.names(), strict=True):
                    query = _differences_sql(live, fresh, KEY_COLUMNS[live])
                    rows = await self._connection.execute_fetchall(f"SELECT COUNT(*) FROM ({query})")
                    total += int(next(iter(rows))[0])
                    wanted = max(limit - len(differences), 0)
                    rows = await self._connection.execute_fetchall(f"{query} LIMIT ?", (wanted,))
                    differences.extend(
                        Difference(live, key, _loaded(was), _loaded(rebuilt)) for key, was, rebuilt in rows
                    )
            finally:
                await self._connection.rollback()
        return differences, total

    async def discard(self) -> None:
        """Drop the fresh tables, release the replay lock and restore the pragmas the rebuild changed."""
        with unavailable_reported(self._path):

            async def drop() -> None:
                for fresh in REBUILD.names():
                    await self._connection.execute(f"DROP TABLE IF EXISTS {fresh}")
                await self._connection.execute(
                    "DELETE FROM scheduler_replay_lock WHERE holder = ?", (self._holder,)
                )

            try:
                await self._in_transaction(drop)
            finally:
                for name, value in self._pragmas_before.items():
                    await self._connection.execute(f"PRAGMA {name} = {value}")
                self._pragmas_before.clear()
