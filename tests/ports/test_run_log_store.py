"""The run-log store, one suite over its adapters (SQLite file, MongoDB emulated, in memory): each line
once per (execution, attempt, sequence), pages in order with a lowest level, retention by age."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from contracts.run_logs import LogLevel
from infrastructure.store.mongo_run_logs import MongoRunLogs
from infrastructure.store.run_logs_port import MemoryRunLogs
from infrastructure.store.run_logs_port import RunLogLine
from infrastructure.store.run_logs_port import RunLogQuery
from infrastructure.store.run_logs_port import RunLogStore
from infrastructure.store.sqlite_run_logs import SQLiteRunLogs
from tests.mongo_emulation import emulated_client

T0 = datetime(2026, 11, 27, 8, 0, 0, 125000, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "mongodb-emulated", "memory"])
async def run_logs(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RunLogStore]:
    store: Any
    if request.param == "sqlite":
        store = SQLiteRunLogs(tmp_path / "scheduler.sqlite3")
    elif request.param == "mongodb-emulated":
        store = MongoRunLogs(emulated_client()["test_run_logs"])
    else:
        store = MemoryRunLogs()
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def line(sequence: int, *, attempt: int = 1, level: LogLevel = "INFO", execution_id: str = "e1",
         minutes: float = 0) -> RunLogLine:  # fmt: skip
    return RunLogLine(
        "job", execution_id, attempt, sequence, T0 + timedelta(minutes=minutes), level, "a.logger",
        f"{execution_id} attempt {attempt} line {sequence} 行",
    )  # fmt: skip


async def test_lines_are_stored_once_and_read_in_order(run_logs: RunLogStore) -> None:
    assert await run_logs.append([line(2), line(1), line(1, attempt=2)]) == 3
    assert await run_logs.append([line(1), line(2), line(3)]) == 1, "a batch delivered twice: once"
    await run_logs.append([line(1, execution_id="other")])
    items, total = await run_logs.page(RunLogQuery("e1"))
    assert total == 4
    assert [(item.attempt, item.sequence) for item in items] == [(1, 1), (1, 2), (1, 3), (2, 1)]
    assert items[0] == line(1)


async def test_pages_and_the_lowest_level(run_logs: RunLogStore) -> None:
    levels: list[LogLevel] = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "INFO", "WARNING"]
    await run_logs.append([line(number, level=level) for number, level in enumerate(levels, 1)])
    items, total = await run_logs.page(RunLogQuery("e1", offset=2, limit=3))
    assert total == 7 and [item.sequence for item in items] == [3, 4, 5]
    items, total = await run_logs.page(RunLogQuery("e1", min_level="WARNING"))
    assert total == 4 and [item.level for item in items] == ["WARNING", "ERROR", "CRITICAL", "WARNING"]
    items, total = await run_logs.page(RunLogQuery("e1", offset=10))
    assert (items, total) == ([], 7)
    assert await run_logs.page(RunLogQuery("nothing")) == ([], 0)


async def test_retention_deletes_the_older_lines(run_logs: RunLogStore) -> None:
    await run_logs.append([line(1, minutes=0), line(2, minutes=10), line(3, minutes=20)])
    assert await run_logs.purge(T0 + timedelta(minutes=10)) == 1
    items, _ = await run_logs.page(RunLogQuery("e1"))
    assert [item.sequence for item in items] == [2, 3]
