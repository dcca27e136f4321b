"""One behavioural suite for the store port, run against every adapter (see `conftest_store.py`)."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import sys
from contextlib import closing
from datetime import timedelta
from datetime import timezone
from pathlib import Path

import pytest

from domain.read_model import ReadModelView
from domain.records import SchedulerStateRecord
from infrastructure.store.mongo_store import MongoStore
from infrastructure.store.port import EventQuery
from infrastructure.store.port import ExecutionQuery
from infrastructure.store.port import HistoryQuery
from infrastructure.store.port import ReadModelChanges
from infrastructure.store.port import RetentionCutoffs
from infrastructure.store.port import Store
from infrastructure.store.port import StoreUnavailable
from infrastructure.store.sqlite_store import SQLiteStore
from tests.store_writes import delete_execution
from tests.store_writes import get_metadata
from tests.store_writes import put_execution
from tests.store_writes import put_history
from tests.store_writes import put_job
from tests.store_writes import put_metadata
from tests.store_writes import put_scheduler_state

from . import conftest_store
from .conftest_store import T0
from .conftest_store import at
from .conftest_store import event_document
from .conftest_store import execution_record
from .conftest_store import history_record
from .conftest_store import job_record
from .conftest_store import metadata_record

# The fixture every test takes, parametrised over the adapters (ids: sqlite, mongodb-real | mongodb-emulated).
store = conftest_store.store

SHANGHAI = timezone(timedelta(hours=8))
REPO_ROOT = Path(__file__).resolve().parents[2]


# --- event store -------------------------------------------------------------------------------------


async def test_append_event_stores_each_message_id_once(store: Store) -> None:
    document = event_document("m-1", execution_id="x-1")

    assert await store.append_event(document) is True
    assert await store.append_event(document) is False
    assert await store.append_event(dict(document, type="Changed")) is False

    assert await store.count_events() == 1
    assert await store.list_events(EventQuery()) == ([document], 1)


async def test_store_batch_appends_and_applies_what_the_records_make_of_it(store: Store) -> None:
    await put_execution(store, execution_record("x-1", status="queued"))
    documents = [event_document("m-1", execution_id="x-1"), event_document("m-2", execution_id="x-2")]
    seen: list[ReadModelView] = []

    def changes_of(view: ReadModelView) -> ReadModelChanges:
        seen.append(view)
        return ReadModelChanges(executions={"x-1": execution_record("x-1", status="success")})

    assert await store.store_batch(documents, changes_of, (["x-1", "x-2"], [])) == 2
    assert set(seen[0].executions) == {"x-1"}  # the records the keys name, as they were
    assert await store.store_batch(documents, changes_of, (["x-1"], [])) == 0  # each message id once
    assert await store.count_events() == 2
    record = await store.get_execution("x-1")
    assert record is not None and record.status == "success"


async def test_append_event_refuses_an_incomplete_or_non_json_envelope(store: Store) -> None:
    without_id = event_document("m-1")
    del without_id["message_id"]
    naive_time = event_document("m-2") | {"occurred_at": "2024-03-01T01:30:00"}

    with pytest.raises(ValueError, match="message_id"):
        await store.append_event(without_id)
    with pytest.raises(ValueError, match="timezone"):
        await store.append_event(naive_time)
    with pytest.raises(TypeError):
        await store.append_event(event_document("m-3") | {"payload": {"at": T0}})
    assert await store.count_events() == 0


async def _append_timeline(store: Store) -> None:
    # Appended out of time order: listing is by `occurred_at`, replay by store order.
    for document in (
        event_document("e3", job_id="job-b", seconds=30, actor="alice", event_type="JobPaused"),
        event_document("e1", seconds=10, execution_id="x-1"),
        event_document("e2", seconds=20, execution_id="x-1", event_type="JobFinished"),
        event_document("e5", job_id=None, seconds=50, actor="bob", event_type="OperatorNote"),
        event_document("e4", seconds=40, execution_id="x-2", actor="alice", event_type="JobFinished"),
    ):
        assert await store.append_event(document)


def _ids(documents: list[dict[str, object]]) -> list[object]:
    return [document["message_id"] for document in documents]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (EventQuery(), ["e1", "e2", "e3", "e4", "e5"]),
        (EventQuery(job_id="job-a"), ["e1", "e2", "e4"]),
        (EventQuery(execution_id="x-1"), ["e1", "e2"]),
        (EventQuery(type="JobFinished"), ["e2", "e4"]),
        (EventQuery(actor="alice"), ["e3", "e4"]),
        (EventQuery(job_id="job-a", type="JobFinished"), ["e2", "e4"]),
        # `since` is inclusive, `until` exclusive.
        (EventQuery(since=T0 + timedelta(seconds=20)), ["e2", "e3", "e4", "e5"]),
        (EventQuery(until=T0 + timedelta(seconds=40)), ["e1", "e2", "e3"]),
        (
            EventQuery(
                since=(T0 + timedelta(seconds=20)).astimezone(SHANGHAI),
                until=T0 + timedelta(seconds=40),
            ),
            ["e2", "e3"],
        ),
        (EventQuery(job_id="nobody"), []),
    ],
    ids=["all", "job", "execution", "type", "actor", "job+type", "since", "until", "since+until", "none"],
)
async def test_list_events_filters_oldest_first(store: Store, query: EventQuery, expected: list[str]) -> None:
    await _append_timeline(store)

    documents, total = await store.list_events(query)

    assert _ids(documents) == expected
    assert total == len(expected)


async def test_list_events_pages_with_the_total_of_all_matches(store: Store) -> None:
    await _append_timeline(store)

    first, total = await store.list_events(EventQuery(limit=2))
    second, _ = await store.list_events(EventQuery(limit=2, offset=2))
    beyond, total_beyond = await store.list_events(EventQuery(limit=2, offset=10))

    assert (_ids(first), _ids(second), total) == (["e1", "e2"], ["e3", "e4"], 5)
    assert (beyond, total_beyond) == ([], 5)


async def test_iter_events_yields_everything_in_store_order_in_batches(store: Store) -> None:
    await _append_timeline(store)
    assert not await store.append_event(event_document("e1"))  # a redelivery adds nothing
    await store.append_event(event_document("e6", seconds=5))

    batches = [batch async for batch in store.iter_events(batch_size=2)]

    assert [len(batch) for batch in batches] == [2, 2, 2]
    events = [event for batch in batches for event in batch]
    assert [event.document["message_id"] for event in events] == ["e3", "e1", "e2", "e5", "e4", "e6"]
    positions = [event.position for event in events]
    assert positions == sorted(set(positions))
    assert events[1].document == event_document("e1", seconds=10, execution_id="x-1")


async def test_iter_events_of_an_empty_store_yields_nothing(store: Store) -> None:
    assert [batch async for batch in store.iter_events()] == []
    assert await store.count_events() == 0


# --- records: put / get ------------------------------------------------------------------------------


async def test_every_record_type_round_trips_with_aware_datetimes(store: Store) -> None:
    local = T0.astimezone(SHANGHAI)
    job = job_record("job-a", next_run_time=local, registered_at=local)
    metadata = metadata_record("job-a", "Daily quotes")
    execution = execution_record(
        "x-1",
        status="failed",
        scheduled_time=local,
        started_at=at(1),
        finished_at=at(2.5),
        execution_time=90.0,
        return_value={"rows": 10, "symbols": ["600000.SH"]},
        error_message="provider timeout",
        is_manual=True,
        kwargs={"days": 3},
        cancel_requested_at=at(2),
        attempt=2,
        last_sequence=7,
    )
    history = history_record("h-1", job_id=None)
    state = SchedulerStateRecord(
        scheduler_id="scheduler-1", state=1, total_jobs=4, paused_jobs=1, interval_s=5.0, last_heartbeat=at(3)
    )
    await put_job(store, job)
    await put_metadata(store, metadata)
    await put_execution(store, execution)
    await put_history(store, history)
    await put_scheduler_state(store, state)

    assert await store.get_job("job-a") == job
    assert await get_metadata(store, "job-a") == metadata
    stored = await store.get_execution("x-1")
    assert stored == execution
    assert stored is not None
    assert stored.timestamp.utcoffset() is not None
    assert stored.scheduled_time == local
    assert (await store.list_history(HistoryQuery()))[0] == [history]
    assert await store.list_scheduler_states() == [state]
    assert await store.get_job("missing") is None
    assert await get_metadata(store, "missing") is None
    assert await store.get_execution("missing") is None


async def test_datetimes_keep_at_least_millisecond_precision(store: Store) -> None:
    precise = T0 + timedelta(microseconds=1999)
    await put_execution(store, execution_record("x-1", timestamp=precise))

    stored = await store.get_execution("x-1")

    assert stored is not None
    assert abs(stored.timestamp - precise) < timedelta(milliseconds=1)


async def test_put_replaces_the_record_with_the_same_key(store: Store) -> None:
    await put_job(store, job_record("job-a"))
    await put_job(store, job_record("job-a", paused=True))
    await put_execution(store, execution_record("x-1", status="running"))
    await put_execution(store, execution_record("x-1", status="success", execution_time=2.0))
    await put_metadata(store, metadata_record("job-a", "old"))
    await put_metadata(store, metadata_record("job-a", "new"))

    job = await store.get_job("job-a")
    assert job is not None
    assert job.paused
    execution = await store.get_execution("x-1")
    assert execution is not None
    assert execution.status == "success"
    assert await store.list_executions(ExecutionQuery()) == ([execution], 1)
    assert await store.count_executions("running") == 0
    metadata = await get_metadata(store, "job-a")
    assert metadata is not None
    assert metadata.display_name == "new"


async def test_list_jobs_merges_metadata_ordered_by_job_id(store: Store) -> None:
    for job_id in ("job-c", "job-a", "job-b"):
        await put_job(store, job_record(job_id))
    await put_metadata(store, metadata_record("job-c", "C"))
    await put_metadata(store, metadata_record("job-a", "A"))
    await put_metadata(store, metadata_record("job-gone", "no job any more"))

    views = await store.list_jobs()

    assert [view.job.job_id for view in views] == ["job-a", "job-b", "job-c"]
    assert [view.metadata and view.metadata.display_name for view in views] == ["A", None, "C"]
    assert views[0].job == job_record("job-a")
    view_a, view_b = await store.get_job_view("job-a"), await store.get_job_view("job-b")
    assert view_a is not None
    assert view_a.metadata == metadata_record("job-a", "A")
    assert view_b is not None
    assert view_b.metadata is None
    assert await store.get_job_view("job-gone") is None


# --- executions ----------------------------------------------------------------------------------------


async def _put_executions(store: Store) -> None:
    records = [
        execution_record("x-1", job_id="job-a", status="success", minutes=1),
        execution_record("x-2", job_id="job-a", status="failed", minutes=2),
        execution_record("x-3", job_id="job-a", status="success", minutes=3, is_manual=True),
        execution_record("x-4", job_id="job-b", status="success", minutes=4),
        execution_record("x-5", job_id="job-b", status="running", minutes=5, is_manual=True),
        execution_record("x-6", job_id="job-a", status="missed", minutes=0.5),
    ]
    random.Random(7).shuffle(records)  # write order is not the listing order
    for record in records:
        await put_execution(store, record)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (ExecutionQuery(), ["x-5", "x-4", "x-3", "x-2", "x-1", "x-6"]),
        (ExecutionQuery(job_id="job-a"), ["x-3", "x-2", "x-1", "x-6"]),
        (ExecutionQuery(status="success"), ["x-4", "x-3", "x-1"]),
        (ExecutionQuery(is_manual=True), ["x-5", "x-3"]),
        (ExecutionQuery(is_manual=False), ["x-4", "x-2", "x-1", "x-6"]),
        (ExecutionQuery(job_id="job-a", status="success"), ["x-3", "x-1"]),
        (ExecutionQuery(job_id="job-a", status="success", is_manual=False), ["x-1"]),
        (ExecutionQuery(job_id="job-b", is_manual=True), ["x-5"]),
        (ExecutionQuery(status="cancelled"), []),
    ],
    ids=[
        "all",
        "job",
        "status",
        "manual",
        "not-manual",
        "job+status",
        "job+status+not-manual",
        "job+manual",
        "none",
    ],
)
async def test_list_executions_filters_newest_first(
    store: Store, query: ExecutionQuery, expected: list[str]
) -> None:
    await _put_executions(store)

    executions, total = await store.list_executions(query)

    assert [execution.execution_id for execution in executions] == expected
    assert total == len(expected)


async def test_list_executions_pages_with_the_total_of_all_matches(store: Store) -> None:
    await _put_executions(store)

    page, total = await store.list_executions(ExecutionQuery(limit=2, offset=1))
    job_page, job_total = await store.list_executions(ExecutionQuery(job_id="job-a", limit=1, offset=3))
    beyond, beyond_total = await store.list_executions(ExecutionQuery(offset=50))

    assert ([e.execution_id for e in page], total) == (["x-4", "x-3"], 6)
    assert ([e.execution_id for e in job_page], job_total) == (["x-6"], 4)
    assert (beyond, beyond_total) == ([], 6)


async def test_paging_through_equal_timestamps_returns_each_execution_once(store: Store) -> None:
    for number in range(7):  # scheduled fires of several jobs share the same minute
        await put_execution(store, execution_record(f"x-{number}", job_id=f"job-{number % 2}"))

    pages = [(await store.list_executions(ExecutionQuery(limit=3, offset=o)))[0] for o in (0, 3, 6)]

    seen = [execution.execution_id for page in pages for execution in page]
    assert sorted(seen) == [f"x-{number}" for number in range(7)]


async def test_delete_execution_removes_only_that_execution(store: Store) -> None:
    await _put_executions(store)

    await delete_execution(store, "x-2")
    await delete_execution(store, "never-existed")

    assert await store.get_execution("x-2") is None
    executions, total = await store.list_executions(ExecutionQuery(job_id="job-a"))
    assert ([e.execution_id for e in executions], total) == (["x-3", "x-1", "x-6"], 3)


async def test_count_executions_overall_and_by_status(store: Store) -> None:
    await _put_executions(store)

    assert await store.count_executions() == 6
    assert await store.count_executions("success") == 3
    assert await store.count_executions("running") == 1
    assert await store.count_executions("cancelled") == 0


async def test_execution_stats_of_one_job(store: Store) -> None:
    records = [
        execution_record("s-1", status="success", minutes=1, execution_time=1.0),
        execution_record("s-2", status="success", minutes=2, execution_time=2.0),
        execution_record("s-3", status="success", minutes=3, execution_time=2.345),
        execution_record("s-4", status="success", minutes=4),  # no duration: not averaged
        execution_record("f-1", status="failed", minutes=5, execution_time=99.0),
        execution_record("m-1", status="missed", minutes=6),
        execution_record("c-1", status="cancelled", minutes=7),
        execution_record("k-1", status="skipped", minutes=8),
        execution_record("r-1", status="running", minutes=10, execution_time=None),
        execution_record("f-2", status="failed", minutes=9, execution_time=4.5),
        execution_record("other", job_id="job-b", status="success", minutes=20, execution_time=50.0),
    ]
    for record in records:
        await put_execution(store, record)

    stats = await store.execution_stats("job-a")

    assert (stats.total, stats.success, stats.failed, stats.missed) == (10, 4, 2, 1)
    assert (stats.cancelled, stats.skipped, stats.running) == (1, 1, 1)
    assert stats.avg_execution_time == 1.78  # (1.0 + 2.0 + 2.345) / 3 = 1.7816...
    assert stats.last_execution == {"status": "running", "timestamp": at(10), "execution_time": None}
    last = stats.last_execution
    assert last is not None
    assert last["timestamp"].utcoffset() == timedelta(0)


async def test_execution_stats_without_executions_or_successes(store: Store) -> None:
    await put_execution(store, execution_record("f-1", status="failed", execution_time=3.25, minutes=1))

    empty = await store.execution_stats("job-none")
    failed_only = await store.execution_stats("job-a")

    assert (empty.total, empty.avg_execution_time, empty.last_execution) == (0, 0.0, None)
    assert (failed_only.total, failed_only.failed, failed_only.avg_execution_time) == (1, 1, 0.0)
    assert failed_only.last_execution == {"status": "failed", "timestamp": at(1), "execution_time": 3.25}


# --- history and scheduler state ---------------------------------------------------------------------


async def test_list_history_newest_first_with_filters_and_total(store: Store) -> None:
    for record in (
        history_record("h-1", job_id="job-a", status="success", minutes=1),
        history_record("h-3", job_id="job-b", status="failed", minutes=3),
        history_record("h-2", job_id="job-a", status="failed", minutes=2),
        history_record("h-4", job_id=None, status="success", minutes=4),
    ):
        await put_history(store, record)

    async def ids(query: HistoryQuery) -> tuple[list[str], int]:
        records, total = await store.list_history(query)
        return [record.history_id for record in records], total

    assert await ids(HistoryQuery()) == (["h-4", "h-3", "h-2", "h-1"], 4)
    assert await ids(HistoryQuery(job_id="job-a")) == (["h-2", "h-1"], 2)
    assert await ids(HistoryQuery(status="failed")) == (["h-3", "h-2"], 2)
    assert await ids(HistoryQuery(job_id="job-a", status="failed")) == (["h-2"], 1)
    assert await ids(HistoryQuery(limit=2, offset=1)) == (["h-3", "h-2"], 4)


async def test_scheduler_states_one_per_scheduler_ordered(store: Store) -> None:
    def state(scheduler_id: str, minutes: float, state: int = 1) -> SchedulerStateRecord:
        return SchedulerStateRecord(
            scheduler_id=scheduler_id,
            state=state,
            total_jobs=3,
            paused_jobs=0,
            interval_s=5.0,
            last_heartbeat=at(minutes),
        )

    assert await store.list_scheduler_states() == []
    await put_scheduler_state(store, state("scheduler-b", 1))
    await put_scheduler_state(store, state("scheduler-a", 1))
    await put_scheduler_state(store, state("scheduler-b", 2, state=2))

    assert await store.list_scheduler_states() == [state("scheduler-a", 1), state("scheduler-b", 2, state=2)]


async def test_ping_answers_while_open(store: Store) -> None:
    assert await store.ping() is True


# --- adapter specifics: SQLite shared by processes, unreachable databases ----------------------------

WRITER_SCRIPT = """
import asyncio, sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from domain.records import ExecutionRecord
from infrastructure.store.sqlite_store import SQLiteStore
from tests.store_writes import put_execution


async def main(path: str, count: int) -> None:
    store = SQLiteStore(Path(path))
    await store.open()
    print("ready", flush=True)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for number in range(count):
        moment = start + timedelta(seconds=number)
        await put_execution(store, ExecutionRecord(
            execution_id=f"child-{number}", job_id="child", job_name="child", status="success",
            timestamp=moment, updated_at=moment, execution_time=1.0,
        ))
    await store.close()


asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


async def test_sqlite_store_file_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "scheduler.sqlite3"
    store = SQLiteStore(path)
    await store.open()
    await put_job(store, job_record("job-a"))

    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    await store.close()


async def test_sqlite_store_second_process_writes_while_this_one_reads_and_writes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "scheduler.sqlite3"
    count = 300
    store = SQLiteStore(path)
    await store.open()
    writer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        WRITER_SCRIPT,
        str(path),
        str(count),
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert writer.stdout is not None
    assert await asyncio.wait_for(writer.stdout.readline(), timeout=30) == b"ready\n"
    finished = asyncio.ensure_future(writer.communicate())

    seen_totals: list[int] = []
    while not finished.done():  # each read awaits the database, letting the writer's exit be noticed
        _, total = await store.list_executions(ExecutionQuery(job_id="child", limit=5))
        seen_totals.append(total)
        await store.execution_stats("child")
        await put_history(store, history_record(f"h-{len(seen_totals)}"))  # a second writer

    _, stderr = await finished
    assert writer.returncode == 0, stderr.decode()
    assert seen_totals == sorted(seen_totals)
    assert (await store.list_executions(ExecutionQuery(job_id="child")))[1] == count
    assert (await store.list_history(HistoryQuery()))[1] == len(seen_totals)
    await store.close()


async def test_sqlite_store_that_cannot_be_created_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    store = SQLiteStore(blocker / "scheduler.sqlite3")

    with pytest.raises(StoreUnavailable):
        await store.open()
    assert await store.ping() is False


async def test_sqlite_store_reports_a_lock_held_beyond_the_busy_timeout_as_unavailable(
    tmp_path: Path,
) -> None:
    path = tmp_path / "scheduler.sqlite3"
    store = SQLiteStore(path, busy_timeout_ms=0)
    await store.open()

    with closing(sqlite3.connect(path, isolation_level=None)) as other_process:
        other_process.execute("BEGIN IMMEDIATE")  # holds the write lock
        with pytest.raises(StoreUnavailable, match="locked"):
            await put_job(store, job_record("job-a"))
        assert await store.get_job("job-a") is None  # WAL: reading goes on meanwhile
        other_process.execute("ROLLBACK")

    await put_job(store, job_record("job-a"))
    assert await store.get_job("job-a") == job_record("job-a")
    await store.close()


async def test_mongo_store_connects_on_open_not_before_and_reports_an_unreachable_server() -> None:
    # The URL's own timeout wins over the store's default (5 s).
    store = MongoStore.from_url(
        "mongodb://store-test.invalid:27017/?serverSelectionTimeoutMS=200", "unreachable"
    )

    with pytest.raises(StoreUnavailable):
        await store.open()
    with pytest.raises(StoreUnavailable):
        await store.list_jobs()
    assert await store.ping() is False
    await store.close()


# --- retention -----------------------------------------------------------------------------------------


async def test_prune_removes_old_records_per_status_but_never_active_runs(store: Store) -> None:
    await _put_executions(store)  # x-6 missed at 0.5 min, x-1 success at 1, x-2 failed at 2, x-5 running at 5
    for index, minutes in enumerate((1, 3)):
        await put_history(store, history_record(f"h-{index}", minutes=minutes))
    for index, minutes in enumerate((1, 3)):
        await store.append_event(event_document(f"e-{index}", seconds=minutes * 60))

    removed = await store.prune(
        RetentionCutoffs(
            executions={"success": at(2), "missed": at(1), "failed": at(1), "running": at(10)},
            history=at(2),
            events=at(2),
        )
    )

    assert removed == {"executions": 2, "history": 1, "tombstones": 0, "events": 1}
    remaining, _ = await store.list_executions(ExecutionQuery())
    assert [execution.execution_id for execution in remaining] == ["x-5", "x-4", "x-3", "x-2"]
    history, _ = await store.list_history(HistoryQuery())
    assert [entry.history_id for entry in history] == ["h-1"]
    assert await store.count_events() == 1


async def test_prune_ages_an_execution_from_its_end_not_its_creation(store: Store) -> None:
    """Issue 27, "retention ages a record from its creation, so a run longer than its retention is pruned as
    soon as it ends": a run created at 0 that finished at 90 stays under a cut-off at 60 and goes under one
    at 120; a run that finished at 30, a missed record (no end but its creation) at 10 and a still running
    one go as their status says; counted totals follow."""
    records = [
        execution_record("long", status="success", minutes=0, finished_at=at(90), updated_at=at(90)),
        execution_record("short", status="success", minutes=0, finished_at=at(30), updated_at=at(30)),
        execution_record("missed", status="missed", minutes=10),
        execution_record("active", status="running", minutes=0, started_at=at(1)),
    ]
    for record in records:
        await put_execution(store, record)
    every = {"success": at(60), "missed": at(60), "running": at(60)}

    assert (await store.prune(RetentionCutoffs(executions=every)))["executions"] == 2
    remaining, total = await store.list_executions(ExecutionQuery())
    assert sorted(execution.execution_id for execution in remaining) == ["active", "long"] and total == 2

    later = {status: at(120) for status in every}
    assert (await store.prune(RetentionCutoffs(executions=later)))["executions"] == 1
    remaining, total = await store.list_executions(ExecutionQuery())
    assert [execution.execution_id for execution in remaining] == ["active"] and total == 1
    assert await store.count_executions() == 1


async def test_sqlite_totals_follow_status_changes_and_are_recounted_if_they_drift(tmp_path: Path) -> None:
    path = tmp_path / "scheduler.sqlite3"
    store = SQLiteStore(path)
    await store.open()
    await put_execution(store, execution_record("x-1", status="running"))
    await put_execution(store, execution_record("x-2", status="success"))
    await put_execution(store, execution_record("x-1", status="failed"))  # running → failed
    assert (await store.list_executions(ExecutionQuery(status="running")))[1] == 0
    assert (await store.list_executions(ExecutionQuery(status="failed")))[1] == 1
    await delete_execution(store, "x-2")
    assert await store.count_executions() == 1
    await store.close()
    with closing(sqlite3.connect(path)) as raw:  # the totals lost behind the store's back
        raw.execute("DELETE FROM scheduler_execution_counts")
        raw.commit()
    await store.open()
    try:
        assert await store.count_executions() == 1
        assert (await store.list_executions(ExecutionQuery(job_id="job-a", status="failed")))[1] == 1
    finally:
        await store.close()


# --- batches -------------------------------------------------------------------------------------------


async def test_batches_append_once_read_and_write_together(store: Store) -> None:
    documents = [event_document(f"b-{index}", seconds=index) for index in range(5)]
    assert await store.append_events(documents[:3]) == 3
    assert await store.append_events(documents) == 2, "each message_id is stored once"
    assert await store.count_events() == 5

    running = execution_record("x-1", status="running")
    await put_execution(store, execution_record("x-gone", status="success"))
    await store.apply_changes(
        ReadModelChanges(
            executions={"x-1": running, "x-2": execution_record("x-2"), "x-gone": None},
            jobs={"job-a": job_record("job-a")},
            metadata={"job-a": metadata_record("job-a", "A")},
            history={"h-1": history_record("h-1")},
        )
    )
    found = await store.get_executions(["x-1", "x-2", "x-gone", "x-never"])
    assert set(found) == {"x-1", "x-2"}
    assert found["x-1"] == running
    assert (await store.list_executions(ExecutionQuery()))[1] == 2
    view = await store.get_job_view("job-a")
    assert view is not None and view.metadata is not None and view.metadata.display_name == "A"
    assert (await store.list_history(HistoryQuery()))[1] == 1


async def test_a_scheduled_one_off_run_round_trips_is_listed_by_status_and_never_pruned(store: Store) -> None:
    planned = execution_record("once-1", status="scheduled", minutes=0, run_at=at(60), scheduled_time=at(60))
    await put_execution(store, planned)
    assert await store.get_execution("once-1") == planned
    listed, total = await store.list_executions(ExecutionQuery(status="scheduled"))
    assert total == 1 and listed[0].run_at == at(60) and not listed[0].released
    await store.prune(RetentionCutoffs(executions={"scheduled": at(10)}, history=None, events=None))
    assert await store.get_execution("once-1") is not None, "a waiting one-off run is never pruned"
