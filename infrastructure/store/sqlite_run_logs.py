"""Run logs in the SQLite database file (table `scheduler_run_logs`), beside the event log."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from typing import cast

import aiosqlite

from contracts.run_logs import LogLevel
from infrastructure.store.run_logs_port import LEVEL_NUMBERS
from infrastructure.store.run_logs_port import RunLogLine
from infrastructure.store.run_logs_port import RunLogQuery
from infrastructure.store.sqlite_side_table import SideTable
from infrastructure.store.sqlite_side_table import utc_text
from infrastructure.store.sqlite_thread import on_connection_thread

SCHEMA = """
CREATE TABLE IF NOT EXISTS scheduler_run_logs (
    execution_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    sequence INTEGER NOT NULL,
    job_id TEXT NOT NULL,
    logged_at TEXT NOT NULL,
    level TEXT NOT NULL,
    level_number INTEGER NOT NULL,
    logger TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (execution_id, attempt, sequence)
) WITHOUT ROWID
"""
INDEX = "CREATE INDEX IF NOT EXISTS scheduler_run_logs_logged_at ON scheduler_run_logs (logged_at)"
COLUMNS = "job_id, execution_id, attempt, sequence, logged_at, level, logger, message"


class SQLiteRunLogs(SideTable):
    """Run log lines in an SQLite table beside the read models."""

    schema = (SCHEMA, INDEX)
    not_open = "run logs are not open"

    async def append(self, lines: Sequence[RunLogLine]) -> int:
        """Store the lines not stored yet; returns how many were new (one call into SQLite's thread)."""
        rows = [
            (
                line.execution_id,
                line.attempt,
                line.sequence,
                line.job_id,
                utc_text(line.logged_at),
                line.level,
                LEVEL_NUMBERS[line.level],
                line.logger,
                line.message,
            )
            for line in lines
        ]
        return await on_connection_thread(self._db, partial(_inserted, rows=rows))

    async def page(self, query: RunLogQuery) -> tuple[list[RunLogLine], int]:
        """One page of an execution's lines at `min_level` or above, in order, and how many there are."""
        connection = self._db
        where = "execution_id = ? AND level_number >= ?"
        arguments = (query.execution_id, LEVEL_NUMBERS[query.min_level])
        async with connection.execute(
            f"SELECT count(*) FROM scheduler_run_logs WHERE {where}", arguments
        ) as cursor:
            row = await cursor.fetchone()
        total = int(row[0]) if row is not None else 0
        async with connection.execute(
            f"SELECT {COLUMNS} FROM scheduler_run_logs WHERE {where} "
            "ORDER BY attempt, sequence LIMIT ? OFFSET ?",
            (*arguments, query.limit, query.offset),
        ) as cursor:
            rows = await cursor.fetchall()
        return [_line(row) for row in rows], total

    async def purge(self, logged_before: datetime) -> int:
        """Delete the lines logged before `logged_before`; returns how many."""
        connection = self._db
        cursor = await connection.execute(
            "DELETE FROM scheduler_run_logs WHERE logged_at < ?", (utc_text(logged_before),)
        )
        await connection.commit()
        return cursor.rowcount


def _inserted(connection: sqlite3.Connection, rows: Sequence[tuple[object, ...]]) -> int:
    """Insert the rows and commit; how many were new."""
    before = connection.total_changes
    connection.executemany(
        "INSERT OR IGNORE INTO scheduler_run_logs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
    )
    connection.commit()
    return connection.total_changes - before


def _line(row: aiosqlite.Row) -> RunLogLine:
    job_id, execution_id, attempt, sequence, logged_at, level, logger, message = row
    return RunLogLine(
        job_id,
        execution_id,
        int(attempt),
        int(sequence),
        datetime.fromisoformat(logged_at),
        cast(LogLevel, level),
        logger,
        message,
    )
