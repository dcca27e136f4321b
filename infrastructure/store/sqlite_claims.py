"""Run claims in the SQLite database file (table `scheduler_run_claims`), safe across processes."""

from __future__ import annotations

from datetime import UTC, datetime

from infrastructure.store.sqlite_side_table import SideTable

SCHEMA = """
CREATE TABLE IF NOT EXISTS scheduler_run_claims (
    execution_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    worker_id TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    PRIMARY KEY (execution_id, attempt)
)
"""


class SQLiteRunClaims(SideTable):
    """Run claims in an SQLite table beside the read models: one row per (execution, attempt)."""

    schema = (SCHEMA,)
    not_open = "run claims are not open"

    async def claim_run(self, execution_id: str, attempt: int, worker_id: str) -> bool:
        """True for the first claim of (execution_id, attempt), False for every later one."""
        cursor = await self._db.execute(
            "INSERT OR IGNORE INTO scheduler_run_claims VALUES (?, ?, ?, ?)",
            (execution_id, attempt, worker_id, datetime.now(UTC).isoformat()),
        )
        await self._db.commit()
        return cursor.rowcount == 1
