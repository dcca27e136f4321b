"""The store suite, continued: tombstones, batch reads for folds, the projector's state, and the fresh read
models of a replay (fill, compare, swap, discard). Every test runs on each adapter (see `conftest_store.py`).
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest

from domain.records import ExecutionTombstone
from domain.records import ProjectorStateRecord
from domain.records import SchedulerStateRecord
from infrastructure.store import mongo_rebuild
from infrastructure.store import sqlite_rebuild
from infrastructure.store.mongo_store import MongoStore
from infrastructure.store.port import Difference
from infrastructure.store.port import EventQuery
from infrastructure.store.port import ExecutionQuery
from infrastructure.store.port import HistoryQuery
from infrastructure.store.port import ReadModelChanges
from infrastructure.store.port import ReplayInProgress
from infrastructure.store.port import RetentionCutoffs
from infrastructure.store.port import Store
from infrastructure.store.port import StoredEvent
from infrastructure.store.sqlite_store import SQLiteStore
from tests.mongo_emulation import emulated_client
from tests.store_writes import put_scheduler_state

from . import conftest_store
from .conftest_store import at
from .conftest_store import event_document
from .conftest_store import execution_record
from .conftest_store import history_record
from .conftest_store import job_record
from .conftest_store import metadata_record

store = conftest_store.store


def tombstone(execution_id: str, minutes: float = 5, actor: str = "admin") -> ExecutionTombstone:
    return ExecutionTombstone(execution_id=execution_id, job_id="job-a", deleted_at=at(minutes), actor=actor)


def some_changes() -> ReadModelChanges:
    return ReadModelChanges(
        executions={
            "x-1": execution_record("x-1", status="running", minutes=1),
            "x-2": execution_record("x-2"),
        },
        jobs={"job-a": job_record("job-a")},
        metadata={"job-a": metadata_record("job-a", "A")},
        history={"h-1": history_record("h-1")},
    )


# --- tombstones and batch reads ------------------------------------------------------------------------


async def test_a_deleted_execution_leaves_a_tombstone_that_a_fold_reads(store: Store) -> None:
    await store.apply_changes(some_changes())
    await store.apply_changes(
        ReadModelChanges(executions={"x-2": None}, tombstones={"x-2": tombstone("x-2")})
    )
    later = tombstone("x-2", minutes=9, actor="someone else")
    await store.apply_changes(ReadModelChanges(tombstones={"x-2": later}))  # a redelivery: the first stands

    view = await store.load_view(["x-1", "x-2", "x-never"], ["job-a", "job-never"])
    assert view.executions == {
        "x-1": execution_record("x-1", status="running", minutes=1),
        "x-2": tombstone("x-2"),
    }
    assert view.jobs == {"job-a": job_record("job-a")}
    assert view.metadata == {"job-a": metadata_record("job-a", "A")}
    assert await store.get_execution("x-2") is None
    assert await store.count_executions() == 1


async def test_load_view_of_nothing_is_empty(store: Store) -> None:
    view = await store.load_view([], [])
    assert (view.executions, view.jobs, view.metadata) == ({}, {}, {})


async def test_tombstones_go_with_the_history_cutoff(store: Store) -> None:
    await store.apply_changes(
        ReadModelChanges(
            executions={"x-1": None, "x-2": None},
            tombstones={"x-1": tombstone("x-1", 1), "x-2": tombstone("x-2", 3)},
        )
    )
    removed = await store.prune(RetentionCutoffs(executions={}, history=at(2)))
    assert removed["tombstones"] == 1
    assert set((await store.load_view(["x-1", "x-2"], [])).executions) == {"x-2"}


async def test_iter_events_after_a_position(store: Store) -> None:
    await store.append_events([event_document(f"e{index}", seconds=index) for index in range(5)])
    everything = [stored async for batch in store.iter_events(batch_size=2) for stored in batch]
    after = [
        stored
        async for batch in store.iter_events(batch_size=2, after=everything[1].position)
        for stored in batch
    ]
    assert [stored.document["message_id"] for stored in after] == ["e2", "e3", "e4"]
    assert [batch async for batch in store.iter_events(after=everything[-1].position)] == []


# --- the projector's state -------------------------------------------------------------------------------


def projector_state(
    projector_id: str, *, updated: float, applied: float | None, lag_s: float = 0.5
) -> ProjectorStateRecord:
    return ProjectorStateRecord(
        projector_id=projector_id,
        started_at=at(0),
        updated_at=at(updated),
        interval_s=5,
        lag_s=lag_s,
        last_applied_at=None if applied is None else at(applied),
        applied=10,
    )


async def test_projector_states_are_kept_per_projector_and_forgotten_after_a_week(store: Store) -> None:
    assert await store.projector_lag_s() is None, "no projector ever reported"
    await store.put_projector_state(projector_state("p-old", updated=0, applied=0))
    await store.put_projector_state(projector_state("p-1", updated=1, applied=1))
    await store.put_projector_state(projector_state("p-1", updated=2, applied=2))
    assert [state.projector_id for state in await store.list_projector_states()] == ["p-1", "p-old"]
    assert (await store.list_projector_states())[0] == projector_state("p-1", updated=2, applied=2)
    await store.put_projector_state(projector_state("p-1", updated=8 * 24 * 60, applied=3))
    assert [state.projector_id for state in await store.list_projector_states()] == ["p-1"]


async def test_projector_lag_is_the_active_projectors_and_grows_when_it_stops_reporting(store: Store) -> None:
    lag = await store.projector_lag_s()
    assert lag is None
    await store.put_projector_state(projector_state("standby", updated=0, applied=None))
    assert await store.projector_lag_s() is None, "a standby that never applied anything does not count"
    now = conftest_store.T0.now(conftest_store.T0.tzinfo)
    fresh = projector_state("active", updated=0, applied=0, lag_s=0.25).model_copy(
        update={"updated_at": now, "last_applied_at": now}
    )
    await store.put_projector_state(fresh)
    assert await store.projector_lag_s() == pytest.approx(0.25)
    silent = fresh.model_copy(update={"updated_at": now - timedelta(minutes=1)})
    await store.put_projector_state(silent)
    stale = await store.projector_lag_s()
    assert stale is not None and 60 <= stale < 70, (
        "silent for a minute: the read models may be that far behind"
    )


# --- the fresh read models of a replay --------------------------------------------------------------------


async def test_a_rebuild_is_filled_apart_from_the_live_read_models(store: Store) -> None:
    rebuild = await store.begin_rebuild()
    await rebuild.apply_changes(some_changes())
    view = await rebuild.load_view(["x-1"], ["job-a"])
    assert set(view.executions) == {"x-1"} and set(view.jobs) == {"job-a"}
    assert await store.get_execution("x-1") is None and await store.list_jobs() == []
    await rebuild.prune(RetentionCutoffs(executions={"success": at(60)}, history=at(60)))
    assert set((await rebuild.load_view(["x-1", "x-2"], [])).executions) == {"x-1"}, "x-1 is running"
    await rebuild.discard()


async def test_compare_lists_what_differs_and_leaves_the_live_read_models_alone(store: Store) -> None:
    await store.apply_changes(some_changes())
    await store.apply_changes(ReadModelChanges(executions={"x-live-only": execution_record("x-live-only")}))
    rebuild = await store.begin_rebuild()
    rebuilt = some_changes()
    rebuilt.executions["x-1"] = execution_record("x-1", status="failed", minutes=1)
    rebuilt.executions["x-rebuilt-only"] = execution_record("x-rebuilt-only")
    await rebuild.apply_changes(rebuilt)
    caught_up: list[bool] = []

    async def catch_up() -> None:
        caught_up.append(True)
        await rebuild.apply_changes(ReadModelChanges(history={"h-2": history_record("h-2")}))

    differences, total = await rebuild.compare(catch_up, limit=10)
    await rebuild.discard()

    assert caught_up == [True] and total == 4
    by_key = {difference.key: difference for difference in differences}
    assert set(by_key) == {"x-1", "x-live-only", "x-rebuilt-only", "h-2"}
    x1 = by_key["x-1"]
    assert x1.read_model == "scheduler_executions" and x1.live is not None and x1.rebuilt is not None
    assert (x1.live["status"], x1.rebuilt["status"]) == ("running", "failed")
    assert by_key["x-live-only"].rebuilt is None and by_key["x-rebuilt-only"].live is None
    assert by_key["h-2"] == Difference("scheduler_history", "h-2", None, by_key["h-2"].rebuilt)
    assert (await store.get_execution("x-1")) == execution_record("x-1", status="running", minutes=1)
    assert (await store.list_executions(ExecutionQuery()))[1] == 3


async def test_compare_stops_listing_at_the_limit_but_counts_everything(store: Store) -> None:
    rebuild = await store.begin_rebuild()
    await rebuild.apply_changes(some_changes())

    async def nothing() -> None:
        return None

    differences, total = await rebuild.compare(nothing, limit=2)
    await rebuild.discard()
    assert len(differences) == 2 and total == 5


async def test_swap_in_replaces_every_rebuilt_read_model_and_nothing_else(store: Store) -> None:
    await store.apply_changes(some_changes())
    state = SchedulerStateRecord(
        scheduler_id="s1", state=1, total_jobs=1, paused_jobs=0, interval_s=5, last_heartbeat=at()
    )
    await put_scheduler_state(store, state)
    await store.append_events([event_document("e1")])
    rebuild = await store.begin_rebuild()
    await rebuild.apply_changes(
        ReadModelChanges(
            executions={
                "y-1": execution_record("y-1", job_id="job-b", status="failed"),
                "y-2": execution_record("y-2", job_id="job-b"),
            },
            tombstones={"y-3": tombstone("y-3")},
            jobs={"job-b": job_record("job-b")},
            history={"h-9": history_record("h-9", job_id="job-b")},
        )
    )

    async def catch_up() -> None:
        await rebuild.apply_changes(
            ReadModelChanges(executions={"y-4": execution_record("y-4", job_id="job-b", status="running")})
        )

    await rebuild.swap_in(catch_up)
    await rebuild.discard()  # nothing left to drop: harmless

    assert [view.job.job_id for view in await store.list_jobs()] == ["job-b"]
    assert (await store.get_job_view("job-b")) is not None and (
        await store.get_job_view("job-b")
    ).metadata is None  # type: ignore[union-attr]
    page, total = await store.list_executions(ExecutionQuery(job_id="job-b", status="failed"))
    assert [record.execution_id for record in page] == ["y-1"] and total == 1
    assert await store.count_executions() == 3 and await store.count_executions("running") == 1
    assert (await store.execution_stats("job-b")).total == 3
    assert [record.history_id for record in (await store.list_history(HistoryQuery()))[0]] == ["h-9"]
    assert set((await store.load_view(["y-3"], [])).executions) == {"y-3"}
    assert await store.list_scheduler_states() == [state], "liveness is not rebuilt"
    assert await store.count_events() == 1, "the event store is never touched"
    assert (await store.list_events(EventQuery()))[1] == 1

    # The swapped-in read models are as usable as the old ones: writes and counts follow.
    await store.apply_changes(ReadModelChanges(executions={"y-4": execution_record("y-4", job_id="job-b")}))
    assert await store.count_executions("running") == 0 and await store.count_executions("success") == 2


# --- each adapter's swap -------------------------------------------------------------------------------


async def test_sqlite_swap_rebuilds_the_schema_and_a_failed_swap_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "scheduler.sqlite3"
    sqlite_store = SQLiteStore(path)
    await sqlite_store.open()
    try:
        schema_before = _schema(path)
        await sqlite_store.apply_changes(some_changes())
        rebuild = await sqlite_store.begin_rebuild()
        await rebuild.apply_changes(ReadModelChanges(jobs={"job-b": job_record("job-b")}))

        async def failing_catch_up() -> None:
            raise RuntimeError("the replay died during its catch-up")

        with pytest.raises(RuntimeError):
            await rebuild.swap_in(failing_catch_up)
        await rebuild.discard()
        assert [view.job.job_id for view in await sqlite_store.list_jobs()] == ["job-a"]
        assert _schema(path) == schema_before, "no fresh table left behind"

        rebuild = await sqlite_store.begin_rebuild()
        await rebuild.apply_changes(some_changes())

        async def nothing() -> None:
            return None

        await rebuild.swap_in(nothing)
        assert _schema(path) == schema_before, "same tables, indexes and triggers, under the same names"
    finally:
        await sqlite_store.close()
    reopened = SQLiteStore(path)
    await reopened.open()
    try:
        assert (await reopened.list_executions(ExecutionQuery(status="running")))[1] == 1
    finally:
        await reopened.close()


def _schema(path: Path) -> list[tuple[str, str, str]]:
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute("SELECT type, name, tbl_name FROM sqlite_master ORDER BY type, name")
        return [tuple(row) for row in rows]


async def test_mongo_swap_left_halfway_is_completed_by_the_next_open() -> None:
    client = emulated_client()
    mongo_store = MongoStore(client, "halfway")
    await mongo_store.open()
    await mongo_store.apply_changes(some_changes())
    rebuild = await mongo_store.begin_rebuild()
    await rebuild.apply_changes(
        ReadModelChanges(jobs={"job-b": job_record("job-b")}, history={"h-9": history_record("h-9")})
    )
    database = client["halfway"]
    # What `swap_in` does, stopped after the first rename (the process died there).
    await database[mongo_rebuild.SWAPS].insert_one(
        {"_id": "swap", "pairs": [list(pair) for pair in mongo_rebuild.PAIRS]}
    )
    fresh, live = mongo_rebuild.PAIRS[0]
    await database[fresh].rename(live, dropTarget=True)
    await rebuild.discard()  # a replay cleaning up after the failure must not drop what the swap needs

    reopened = MongoStore(client, "halfway")
    await reopened.open()
    assert [view.job.job_id for view in await reopened.list_jobs()] == ["job-b"]
    assert [record.history_id for record in (await reopened.list_history(HistoryQuery()))[0]] == ["h-9"]
    assert await reopened.count_executions() == 0
    assert await database[mongo_rebuild.SWAPS].find_one({}) is None
    assert not [name for name in await database.list_collection_names() if name.endswith("_rebuild")]


# --- one replay at a time -------------------------------------------------------------------------------


async def test_one_replay_at_a_time(store: Store) -> None:
    first = await store.begin_rebuild("host-a:1")
    with pytest.raises(ReplayInProgress, match="host-a:1"):
        await store.begin_rebuild("host-b:2")
    await first.apply_changes(some_changes())  # the first one is unharmed
    await first.discard()  # releases the lock
    second = await store.begin_rebuild("host-b:2")
    await second.discard()


async def test_the_lock_of_a_replay_that_died_is_taken_over(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.begin_rebuild("host-a:1")  # never discarded: its process died
    for module in (sqlite_rebuild, mongo_rebuild):
        monkeypatch.setattr(module, "REPLAY_LOCK_STALE_S", -1.0)  # every lock is stale
    taken_over = await store.begin_rebuild("host-b:2")
    monkeypatch.undo()
    with pytest.raises(ReplayInProgress, match="host-b:2"):
        await store.begin_rebuild("host-c:3")
    await taken_over.discard()


async def test_sqlite_rebuild_settings_last_as_long_as_the_rebuild(tmp_path: Path) -> None:
    sqlite_store = SQLiteStore(tmp_path / "scheduler.sqlite3")
    await sqlite_store.open()
    try:
        connection = sqlite_store._db()

        async def pragmas() -> dict[str, int]:
            values = {}
            for name in sqlite_rebuild.REBUILD_PRAGMAS:
                rows = await connection.execute_fetchall(f"PRAGMA {name}")
                values[name] = int(next(iter(rows))[0])
            return values

        before = await pragmas()
        rebuild = await sqlite_store.begin_rebuild()
        assert await pragmas() == sqlite_rebuild.REBUILD_PRAGMAS
        await rebuild.discard()
        assert await pragmas() == before
    finally:
        await sqlite_store.close()


def test_a_stored_event_parses_its_text_only_when_its_document_is_read() -> None:
    document = event_document("e1")
    lazy = StoredEvent(7, text=json.dumps(document))
    assert lazy.text is not None and lazy.position == 7
    assert lazy == StoredEvent(7, document) and lazy.document == document
    with pytest.raises(TypeError):
        StoredEvent(7)
