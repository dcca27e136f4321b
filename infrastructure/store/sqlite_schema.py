"""Connection settings, tables, indexes and the longer statements of the SQLite store.

Timestamps are fixed-width UTC text keys (`domain.records.as_utc_key`), so text order is time order.
Indexes follow the API's queries: every filter combination the REST API offers on executions is served by an
index whose last column is `timestamp`, so "newest first, LIMIT/OFFSET" walks the index backwards and its
COUNT is a range count on the same index. `rowid` (implicitly the last column of every index) breaks ties.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from collections.abc import Iterator
from contextlib import asynccontextmanager
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import aiosqlite

from domain.records import ProjectorStateRecord
from domain.records import as_utc_key
from infrastructure.store.documents import STATS_STATUSES
from infrastructure.store.port import StoreUnavailable

# busy_timeout first: switching to WAL needs a lock another process may briefly hold.
CONNECTION_PRAGMAS = (
    "PRAGMA busy_timeout = {busy_timeout_ms}",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
)

# Primary result codes meaning "the database cannot be used right now", not "this statement is wrong".
UNAVAILABLE_CODES = {
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_PROTOCOL,
}


@contextmanager
def unavailable_reported(path: Path) -> Iterator[None]:
    """Errors that mean the store is away, as `StoreUnavailable`.

    Busy (after `busy_timeout`), locked, I/O and disk-full errors become `StoreUnavailable` (the API
    answers 503); other errors are bugs and pass unchanged.
    """
    try:
        yield
    except sqlite3.Error as error:
        code = getattr(error, "sqlite_errorcode", None)
        if code is not None and code & 0xFF in UNAVAILABLE_CODES:
            raise StoreUnavailable(f"SQLite store {path}: {error}") from error
        raise


@asynccontextmanager
async def write_transaction(connection: aiosqlite.Connection) -> AsyncIterator[None]:
    """The block in one transaction that holds the write lock from its start; rolled back on any error.

    `BEGIN IMMEDIATE` takes the lock at once (waiting up to `busy_timeout`), so a transaction that reads
    before it writes cannot fail halfway for want of it.
    """
    await connection.execute("BEGIN IMMEDIATE")
    try:
        yield
        await connection.commit()
    except BaseException:
        await connection.rollback()
        raise


def _document_table(table: str, key_column: str) -> str:
    """The statement that creates a table of one JSON document per key (what `upsert_document` writes)."""
    return f"""CREATE TABLE IF NOT EXISTS {table} (
    {key_column} TEXT PRIMARY KEY,
    document TEXT NOT NULL
);"""


SCHEMA = f"""
CREATE TABLE IF NOT EXISTS scheduler_events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    job_id TEXT,
    execution_id TEXT,
    actor TEXT,
    occurred_at TEXT NOT NULL,
    document TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_events_occurred_at ON scheduler_events (occurred_at);
CREATE INDEX IF NOT EXISTS ix_events_job_occurred_at ON scheduler_events (job_id, occurred_at);
CREATE INDEX IF NOT EXISTS ix_events_execution_occurred_at
    ON scheduler_events (execution_id, occurred_at);
CREATE INDEX IF NOT EXISTS ix_events_type_occurred_at ON scheduler_events (type, occurred_at);
CREATE INDEX IF NOT EXISTS ix_events_actor_occurred_at ON scheduler_events (actor, occurred_at);

{_document_table("scheduler_jobs", "job_id")}

{_document_table("scheduler_metadata", "job_id")}

CREATE TABLE IF NOT EXISTS scheduler_executions (
    execution_id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    status TEXT NOT NULL,
    is_manual INTEGER NOT NULL,
    timestamp TEXT NOT NULL,
    execution_time REAL,
    document TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_executions_timestamp ON scheduler_executions (timestamp);
CREATE INDEX IF NOT EXISTS ix_executions_job_timestamp ON scheduler_executions (job_id, timestamp);
CREATE INDEX IF NOT EXISTS ix_executions_status_timestamp
    ON scheduler_executions (status, timestamp);
CREATE INDEX IF NOT EXISTS ix_executions_manual_timestamp
    ON scheduler_executions (is_manual, timestamp);
CREATE INDEX IF NOT EXISTS ix_executions_job_status_timestamp
    ON scheduler_executions (job_id, status, timestamp);
CREATE INDEX IF NOT EXISTS ix_executions_job_manual_timestamp
    ON scheduler_executions (job_id, is_manual, timestamp);
CREATE INDEX IF NOT EXISTS ix_executions_status_manual_timestamp
    ON scheduler_executions (status, is_manual, timestamp);
-- execution_time last: `execution_stats` reads only this index (no table lookups).
CREATE INDEX IF NOT EXISTS ix_executions_job_status_manual_timestamp
    ON scheduler_executions (job_id, status, is_manual, timestamp, execution_time);
-- Time filters of the executions list (`sqlite_execution_queries.MOMENT`: the same expressions).
CREATE INDEX IF NOT EXISTS ix_executions_scheduled_at
    ON scheduler_executions (julianday(json_extract(document, '$.scheduled_time')));
CREATE INDEX IF NOT EXISTS ix_executions_started_at
    ON scheduler_executions (julianday(json_extract(document, '$.started_at')));

-- Totals for the executions list without counting up to a million rows per request: kept by triggers in
-- the same transaction as each write, so they cannot drift (and rebuilt at open if they ever differ).
CREATE TABLE IF NOT EXISTS scheduler_execution_counts (
    job_id TEXT NOT NULL,
    status TEXT NOT NULL,
    is_manual INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (job_id, status, is_manual)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS tr_execution_counts_insert AFTER INSERT ON scheduler_executions BEGIN
    INSERT INTO scheduler_execution_counts VALUES (NEW.job_id, NEW.status, NEW.is_manual, 1)
    ON CONFLICT (job_id, status, is_manual) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS tr_execution_counts_delete AFTER DELETE ON scheduler_executions BEGIN
    UPDATE scheduler_execution_counts SET n = n - 1
    WHERE job_id = OLD.job_id AND status = OLD.status AND is_manual = OLD.is_manual;
END;
CREATE TRIGGER IF NOT EXISTS tr_execution_counts_update AFTER UPDATE OF job_id, status, is_manual
ON scheduler_executions
WHEN OLD.job_id IS NOT NEW.job_id OR OLD.status IS NOT NEW.status OR OLD.is_manual IS NOT NEW.is_manual
BEGIN
    UPDATE scheduler_execution_counts SET n = n - 1
    WHERE job_id = OLD.job_id AND status = OLD.status AND is_manual = OLD.is_manual;
    INSERT INTO scheduler_execution_counts VALUES (NEW.job_id, NEW.status, NEW.is_manual, 1)
    ON CONFLICT (job_id, status, is_manual) DO UPDATE SET n = n + 1;
END;

CREATE TABLE IF NOT EXISTS scheduler_history (
    history_id TEXT PRIMARY KEY,
    job_id TEXT,
    status TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    document TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_history_timestamp ON scheduler_history (timestamp);
CREATE INDEX IF NOT EXISTS ix_history_job_timestamp ON scheduler_history (job_id, timestamp);
CREATE INDEX IF NOT EXISTS ix_history_status_timestamp ON scheduler_history (status, timestamp);

{_document_table("scheduler_state", "scheduler_id")}

{_document_table("scheduler_backfills", "backfill_id")}

-- Deleted executions: a late or redelivered event must not bring them back.
CREATE TABLE IF NOT EXISTS scheduler_execution_tombstones (
    execution_id TEXT PRIMARY KEY,
    deleted_at TEXT NOT NULL,
    document TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_tombstones_deleted_at ON scheduler_execution_tombstones (deleted_at);

-- At most one row: the replay running now (`python -m services.projector replay`), refreshed as it works.
CREATE TABLE IF NOT EXISTS scheduler_replay_lock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    holder TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    refreshed_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS scheduler_projector_state (
    projector_id TEXT PRIMARY KEY,
    updated_at TEXT NOT NULL,
    document TEXT NOT NULL
);
"""

# ON CONFLICT DO NOTHING rather than INSERT OR IGNORE: only a redelivery (same message_id) is ignored;
# any other constraint failure still raises.
INSERT_EVENT = """
INSERT INTO scheduler_events (message_id, type, job_id, execution_id, actor, occurred_at, document)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (message_id) DO NOTHING
"""


def upsert_execution(table: str) -> str:
    """The statement that writes an execution row into `table`, keeping its rowid (newest-first ties)."""
    # An upsert rather than INSERT OR REPLACE: the row keeps its rowid, the tie-breaker of "newest first".
    return f"""
INSERT INTO {table} (execution_id, job_id, status, is_manual, timestamp, execution_time, document)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (execution_id) DO UPDATE SET
    job_id = excluded.job_id, status = excluded.status, is_manual = excluded.is_manual,
    timestamp = excluded.timestamp, execution_time = excluded.execution_time, document = excluded.document
"""


def upsert_history(table: str) -> str:
    """The statement that writes a history row into `table` (insert or update)."""
    return f"""
INSERT INTO {table} (history_id, job_id, status, timestamp, document)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (history_id) DO UPDATE SET
    job_id = excluded.job_id, status = excluded.status, timestamp = excluded.timestamp,
    document = excluded.document
"""


def upsert_document(table: str, key_column: str) -> str:
    """The statement that writes a keyed JSON document into `table` (insert or update)."""
    return (
        f"INSERT INTO {table} ({key_column}, document) VALUES (?, ?)"
        f" ON CONFLICT ({key_column}) DO UPDATE SET document = excluded.document"
    )


def insert_tombstone(table: str) -> str:
    """The statement that records a deleted execution in `table`, once."""
    return (
        f"INSERT INTO {table} (execution_id, deleted_at, document) VALUES (?, ?, ?)"
        " ON CONFLICT (execution_id) DO NOTHING"
    )


UPSERT_EXECUTION = upsert_execution("scheduler_executions")
UPSERT_PROJECTOR_STATE = """
INSERT INTO scheduler_projector_state (projector_id, updated_at, document) VALUES (?, ?, ?)
ON CONFLICT (projector_id) DO UPDATE SET updated_at = excluded.updated_at, document = excluded.document
"""
PROJECTOR_STATE_KEPT = timedelta(days=7)  # a projector silent for longer is forgotten


def projector_state_row(record: ProjectorStateRecord) -> tuple[str, str, str]:
    """The projector-state table's row of a record: id, UTC key of its update, JSON."""
    return (record.projector_id, as_utc_key(record.updated_at), record.model_dump_json())


# One statement. Counts and the success average read only the covering (job_id, status, is_manual,
# timestamp, execution_time) index; the last execution walks (job_id, timestamp) backwards. INDEXED BY
# because, left to itself, the planner picks the covering index for the subquery too and sorts all of the
# job's rows.
# Parameters: each of STATS_STATUSES, "success", job_id, job_id.
EXECUTION_STATS = f"""
SELECT
    COUNT(*),
    {", ".join("COALESCE(SUM(status = ?), 0)" for _ in STATS_STATUSES)},
    AVG(CASE WHEN status = ? THEN execution_time END),
    (SELECT json_array(status, timestamp, execution_time)
     FROM scheduler_executions INDEXED BY ix_executions_job_timestamp
     WHERE job_id = ? ORDER BY timestamp DESC, rowid DESC LIMIT 1)
FROM scheduler_executions
WHERE job_id = ?
"""

# Run at open: if the totals do not match the table (a file from before the counts existed, or rows
# written around the triggers), count once and start again from the truth.
RECOUNT_IF_DRIFTED = """
DELETE FROM scheduler_execution_counts
WHERE (SELECT COALESCE(SUM(n), 0) FROM scheduler_execution_counts)
   != (SELECT COUNT(*) FROM scheduler_executions);
INSERT INTO scheduler_execution_counts
SELECT job_id, status, is_manual, COUNT(*) FROM scheduler_executions
WHERE NOT EXISTS (SELECT 1 FROM scheduler_execution_counts)
GROUP BY job_id, status, is_manual;
"""
