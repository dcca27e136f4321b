"""The bulk-action store, one suite over its adapters (SQLite file, MongoDB emulated, in memory): a plan
stored whole, progress recorded, the unfinished ones read back oldest first, the finished ones pruned."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from infrastructure.store.bulk_actions_port import BulkActionProgress
from infrastructure.store.bulk_actions_port import BulkActionRecord
from infrastructure.store.bulk_actions_port import BulkActionStore
from infrastructure.store.bulk_actions_port import MemoryBulkActions
from infrastructure.store.mongo_bulk_actions import MongoBulkActions
from infrastructure.store.sqlite_bulk_actions import SQLiteBulkActions
from tests.mongo_emulation import emulated_client

T0 = datetime(2026, 12, 3, 8, 0, 0, 125000, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "mongodb-emulated", "memory"])
async def actions(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BulkActionStore]:
    store: Any
    if request.param == "sqlite":
        store = SQLiteBulkActions(tmp_path / "scheduler.sqlite3")
    elif request.param == "mongodb-emulated":
        store = MongoBulkActions(emulated_client()["test_bulk_actions"])
    else:
        store = MemoryBulkActions()
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def action(operation_id: str, *, minutes: int = 0, runs: int = 3) -> BulkActionRecord:
    return BulkActionRecord(
        operation_id=operation_id,
        action="mark_failed",
        actor="alice",
        producer="api",
        reason="lost worker 行",
        selected=runs + 2,
        missing=1,
        skipped=1,
        targets=tuple(f"run-{number:05}" for number in range(runs)),
        started_at=T0 + timedelta(minutes=minutes),
    )


async def test_a_plan_of_ten_thousand_runs_is_read_back_whole(actions: BulkActionStore) -> None:
    record = action("big", runs=10_000)
    await actions.put(record)

    assert await actions.get("big") == record
    assert await actions.get("other") is None


async def test_progress_is_recorded_and_the_unfinished_come_back_oldest_first(
    actions: BulkActionStore,
) -> None:
    for operation_id, minutes in (("second", 2), ("first", 1), ("ended", 0)):
        await actions.put(action(operation_id, minutes=minutes))
    finished = T0 + timedelta(minutes=5)
    await actions.record_progress("first", BulkActionProgress(2, "running"))
    await actions.record_progress("ended", BulkActionProgress(3, "done", None, finished))

    unfinished = await actions.unfinished()

    assert [(record.operation_id, record.sent) for record in unfinished] == [("first", 2), ("second", 0)]
    ended = await actions.get("ended")
    assert ended is not None and (ended.state, ended.sent, ended.finished_at) == ("done", 3, finished)


async def test_only_the_newest_finished_actions_are_kept(actions: BulkActionStore) -> None:
    for minutes in range(5):
        await actions.put(action(f"done-{minutes}", minutes=minutes))
        await actions.record_progress(f"done-{minutes}", BulkActionProgress(3, "failed", "broker down", T0))
    await actions.put(action("running", minutes=-1))

    assert await actions.prune(keep=2) == 3
    assert [await actions.get(f"done-{minutes}") is not None for minutes in range(5)] == [False] * 3 + [
        True
    ] * 2
    assert await actions.get("running") is not None
