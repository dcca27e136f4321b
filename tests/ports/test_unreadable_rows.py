"""A stored row that cannot be read (a document nested past the parser's limit, a field of the wrong type)
is skipped with an error naming it: lists, pages and the scheduler's state read-back go on without it."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing

import pytest

from domain.records import SchedulerStateRecord
from infrastructure.store.mongo_store import MongoStore
from infrastructure.store.port import ExecutionQuery
from infrastructure.store.port import HistoryQuery
from infrastructure.store.port import Store
from infrastructure.store.sqlite_store import SQLiteStore
from tests.store_writes import put_execution
from tests.store_writes import put_history
from tests.store_writes import put_job
from tests.store_writes import put_scheduler_state

from . import conftest_store
from .conftest_store import at
from .conftest_store import execution_record
from .conftest_store import history_record
from .conftest_store import job_record

store = conftest_store.store
DEEP = "[" * 300 + "]" * 300  # past pydantic's JSON recursion limit (200)
KEYS = {
    "scheduler_executions": "execution_id",
    "scheduler_jobs": "job_id",
    "scheduler_state": "scheduler_id",
    "scheduler_history": "history_id",
}


async def _corrupt(store: Store, table: str, key: str) -> None:
    """The row's document replaced by one no reader can take (the way a past bug could have left it)."""
    if isinstance(store, SQLiteStore):
        with closing(sqlite3.connect(store._path)) as connection:
            where = f"WHERE {KEYS[table]} = ?"
            (document,) = connection.execute(f"SELECT document FROM {table} {where}", (key,)).fetchone()
            broken = document[:-1] + f', "kwargs": {{"x": {DEEP}}}}}'
            connection.execute(f"UPDATE {table} SET document = ? {where}", (broken, key))
            connection.commit()
    else:
        assert isinstance(store, MongoStore)
        await store._collection(table).update_one({"_id": key}, {"$set": {"timestamp": "not a date"}})
        await store._collection(table).update_one({"_id": key}, {"$set": {"paused": {"x": 1}}})
        await store._collection(table).update_one({"_id": key}, {"$set": {"state": "x"}})


def _skipped(caplog: pytest.LogCaptureFixture, key: str) -> bool:
    """An error was logged naming the skipped row (each adapter words it its own way)."""
    return any(
        record.levelno >= logging.ERROR
        and "skipped" in record.getMessage()
        and repr(key) in record.getMessage()
        for record in caplog.records
    )


async def test_unreadable_rows_are_skipped_and_named(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    for minutes, name in enumerate(("e1", "e2", "e3")):
        await put_execution(store, execution_record(name, minutes=minutes))
    await put_job(store, job_record("job-a"))
    await put_job(store, job_record("job-b"))
    await put_history(store, history_record("h1"))
    await put_history(store, history_record("h2"))
    for scheduler_id in ("s1", "s2"):
        state = SchedulerStateRecord(
            scheduler_id=scheduler_id,
            state=1,
            total_jobs=1,
            paused_jobs=0,
            interval_s=5,
            last_heartbeat=at(1),
        )
        await put_scheduler_state(store, state)
    for table, key in [("scheduler_executions", "e2"), ("scheduler_jobs", "job-b"),
                       ("scheduler_state", "s1"), ("scheduler_history", "h1")]:  # fmt: skip
        await _corrupt(store, table, key)

    page, total = await store.list_executions(ExecutionQuery(limit=10))
    assert [record.execution_id for record in page] == ["e3", "e1"] and total == 3
    assert await store.get_execution("e2") is None and _skipped(caplog, "e2")
    assert set(await store.get_executions(["e1", "e2"])) == {"e1"}
    assert [view.job.job_id for view in await store.list_jobs()] == ["job-a"] and _skipped(caplog, "job-b")
    assert [state.scheduler_id for state in await store.list_scheduler_states()] == ["s2"]
    assert _skipped(caplog, "s1")
    history, _ = await store.list_history(HistoryQuery(limit=10))
    assert [record.history_id for record in history] == ["h2"] and _skipped(caplog, "h1")
