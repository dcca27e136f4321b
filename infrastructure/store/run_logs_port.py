"""The run-log store: the lines each run logged, kept beside the event log (never in it).

Each line is stored once per (execution_id, attempt, sequence): a batch delivered twice is stored once.
Lines are read back per execution, in the order they were logged (attempt, then sequence), with an
optional lowest level. Lines older than the retention are purged (`purge`), on a schedule of their own.
Adapters: `sqlite_run_logs.SQLiteRunLogs` (table `scheduler_run_logs`), `mongo_run_logs.MongoRunLogs`
(collection `scheduler_run_logs`) and `MemoryRunLogs` (tests, benchmarks).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from contracts.run_logs import LogLevel
from contracts.run_logs import RunLogBatch
from infrastructure.store.lifecycle_port import Lifecycle

LEVEL_NUMBERS: dict[str, int] = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
    "CRITICAL": logging.CRITICAL,
}


@dataclass(frozen=True)
class RunLogLine:
    """One line a run logged: its execution, attempt and sequence, when, level, logger and message."""

    job_id: str
    execution_id: str
    attempt: int
    sequence: int
    logged_at: datetime
    level: LogLevel
    logger: str
    message: str

    @property
    def level_number(self) -> int:
        """The level as a number (`DEBUG` lowest), for filtering by minimum level."""
        return LEVEL_NUMBERS[self.level]


@dataclass(frozen=True)
class RunLogQuery:
    """One page of an execution's log: offset, size, and the lowest level shown."""

    execution_id: str
    offset: int = 0
    limit: int = 200
    min_level: LogLevel = "DEBUG"


def lines_of(batch: RunLogBatch) -> list[RunLogLine]:
    """The rows a batch from the bus becomes."""
    return [
        RunLogLine(
            batch.job_id,
            batch.execution_id,
            batch.attempt,
            line.sequence,
            line.logged_at,
            line.level,
            line.logger,
            line.message,
        )
        for line in batch.lines
    ]


class RunLogStore(Lifecycle, Protocol):
    """Where run log lines are kept, for the API to page through."""

    async def append(self, lines: Sequence[RunLogLine]) -> int:
        """Store the lines not stored yet; returns how many were new."""

    async def page(self, query: RunLogQuery) -> tuple[list[RunLogLine], int]:
        """One page of an execution's lines at `min_level` or above, in order, and how many there are."""

    async def purge(self, logged_before: datetime) -> int:
        """Delete the lines logged before `logged_before`; returns how many."""


class MemoryRunLogs:
    """Run logs in a dict (one process: tests and benchmarks)."""

    def __init__(self) -> None:
        self._lines: dict[tuple[str, int, int], RunLogLine] = {}

    async def open(self) -> None:
        """Nothing to open."""

    async def close(self) -> None:
        """Nothing to close."""

    async def append(self, lines: Sequence[RunLogLine]) -> int:
        """Store the lines not stored yet; returns how many were new."""
        new = 0
        for line in lines:
            key = (line.execution_id, line.attempt, line.sequence)
            if key not in self._lines:
                self._lines[key] = line
                new += 1
        return new

    async def page(self, query: RunLogQuery) -> tuple[list[RunLogLine], int]:
        """One page of an execution's lines at `min_level` or above, in order, and how many there are."""
        lowest = LEVEL_NUMBERS[query.min_level]
        matching = sorted(
            (
                line
                for line in self._lines.values()
                if line.execution_id == query.execution_id and line.level_number >= lowest
            ),
            key=lambda line: (line.attempt, line.sequence),
        )
        return matching[query.offset : query.offset + query.limit], len(matching)

    async def purge(self, logged_before: datetime) -> int:
        """Delete the lines logged before `logged_before`; returns how many."""
        old = [key for key, line in self._lines.items() if line.logged_at < logged_before]
        for key in old:
            del self._lines[key]
        return len(old)
