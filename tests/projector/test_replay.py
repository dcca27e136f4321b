"""`replay`: the read models rebuilt from the event store, swapped in or (`verify`) compared with the live
ones, on each store adapter. The live read models come from the projector itself, fed the history in
batches, out of order and with redeliveries, as the bus would."""

from __future__ import annotations

import io
import random
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contracts.codec import to_document
from contracts.envelope import Event
from contracts.events import V1_SCHEDULER_ACTOR
from contracts.events import ExecutionMarkedFailed
from contracts.events import RunQueued
from infrastructure.store.port import BackfillQuery
from infrastructure.store.port import EventQuery
from infrastructure.store.port import ExecutionQuery
from infrastructure.store.port import HistoryQuery
from infrastructure.store.port import ReadModelChanges
from infrastructure.store.port import Store
from infrastructure.store.sqlite_store import SQLiteStore
from services.projector import replay_fold
from services.projector.progress import ProgressBar
from services.projector.projector import Projector
from services.projector.replay import ReplayResult
from services.projector.replay import describe
from services.projector.replay import replay
from services.projector.replay import report
from tests.ports import conftest_store
from tests.projector.history import CREATED_JOBS
from tests.projector.history import JOBS
from tests.projector.history import operating_history
from tests.store_writes import delete_execution
from tests.store_writes import put_execution
from tests.store_writes import put_job

store = conftest_store.store
EVERYTHING = 100_000


def delivered(events: list[Event], seed: int) -> list[list[Event]]:
    """The events as the bus may hand them to the projector: in batches of 1 to 40, reordered within a
    window of 10, about one in ten delivered twice. The first registrations come first (until a job is
    registered the API refuses every command about it)."""
    rng = random.Random(seed)
    head, tail = events[: len(JOBS)], events[len(JOBS) :]
    stream = list(tail) + rng.sample(tail, len(tail) // 10)
    stream.sort(key=lambda event: tail.index(event) + rng.uniform(0, 10))
    stream = head + stream
    batches: list[list[Event]] = []
    while stream:
        size = rng.randint(1, 40)
        batches.append(stream[:size])
        stream = stream[size:]
    return batches


async def project_live(store: Store, events: list[Event], seed: int = 1) -> None:
    projector = Projector(store)
    for batch in delivered(events, seed):
        await projector.on_events(batch)


@dataclass
class Snapshot:
    """Everything the API reads from the read models."""

    jobs: list[Any]
    executions: list[Any]
    total: int
    history: list[Any]
    counts: dict[str, int]
    stats: dict[str, Any]
    backfills: list[Any]


async def snapshot(store: Store) -> Snapshot:
    executions, total = await store.list_executions(ExecutionQuery(limit=EVERYTHING))
    history, _ = await store.list_history(HistoryQuery(limit=EVERYTHING))
    statuses = ("queued", "running", "success", "failed", "cancelled", "missed", "skipped")
    return Snapshot(
        jobs=await store.list_jobs(),
        executions=executions,
        total=total,
        history=history,
        counts={status: await store.count_executions(status) for status in statuses},
        stats={job_id: await store.execution_stats(job_id) for job_id in JOBS},
        backfills=(await store.list_backfills(BackfillQuery(limit=EVERYTHING)))[0],
    )


def rebuild_tables(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE name LIKE '%_rebuild'").fetchall()
    return [name for (name,) in rows]


# --- verify and swap ------------------------------------------------------------------------------------


async def test_a_replay_rebuilds_what_the_projector_built_from_the_same_events(store: Store) -> None:
    events = operating_history(seed=3)
    await project_live(store, events)
    live = await snapshot(store)
    assert live.total > 50 and live.history and len(live.jobs) == len(JOBS) + len(CREATED_JOBS)
    created = next(view.job for view in live.jobs if view.job.job_id == CREATED_JOBS[0])
    assert created.job_version == 4 and not created.deleted and created.definition is not None
    assert [backfill.status for backfill in live.backfills] == ["cancelled", "finished"]

    checked = await replay(store, verify=True, batch_size=37)
    assert checked.difference_total == 0, checked.differences
    assert checked.events == await store.count_events() == len(events)
    assert checked.skipped.total == 0

    swapped = await replay(store, batch_size=37)
    assert swapped.difference_total == 0 and swapped.events == len(events)
    assert await snapshot(store) == live, "the swapped-in read models are the projector's"
    assert await store.count_events() == len(events), "a replay never touches the event store"


async def test_verify_lists_what_differs_and_changes_nothing(store: Store) -> None:
    events = operating_history(seed=4)
    await project_live(store, events)
    execution = next(record for record in (await snapshot(store)).executions if record.status == "success")
    damaged = execution.model_copy(update={"status": "failed", "error_message": "made up"})
    await put_execution(store, damaged)
    job = await store.get_job(JOBS[0])
    assert job is not None
    await put_job(store, job.model_copy(update={"name": "renamed by hand"}))
    stray = damaged.model_copy(update={"execution_id": "a-stray-one"})
    await store.apply_changes(ReadModelChanges(executions={"a-stray-one": stray}))
    before = await snapshot(store)

    result = await replay(store, verify=True, difference_limit=2)

    assert result.difference_total == 3
    assert len(result.differences) == 2, "listed up to the limit, all counted"
    out = io.StringIO()
    report(result, out)
    text = out.getvalue()
    assert "3 difference(s)" in text and "... and 1 more" in text
    assert await snapshot(store) == before, "verify leaves the live read models as they were"

    everything = await replay(store, verify=True)
    found = {(difference.read_model, difference.key) for difference in everything.differences}
    assert found == {
        ("scheduler_executions", execution.execution_id),
        ("scheduler_executions", "a-stray-one"),
        ("scheduler_jobs", JOBS[0]),
    }
    by_key = {difference.key: difference for difference in everything.differences}
    assert by_key["a-stray-one"].rebuilt is None
    shown = "\n".join(line for difference in everything.differences for line in describe(difference))
    assert 'status: live "failed"  rebuilt "success"' in shown
    assert "only in the live read model" in shown


async def test_a_replay_repairs_damaged_read_models(store: Store) -> None:
    events = operating_history(seed=5)
    await project_live(store, events)
    good = await snapshot(store)
    victim = good.executions[0]
    await delete_execution(store, victim.execution_id)
    await put_job(store, good.jobs[1].job.model_copy(update={"paused": not good.jobs[1].job.paused}))

    await replay(store)

    assert await snapshot(store) == good
    assert (await replay(store, verify=True)).difference_total == 0


# --- bad input ----------------------------------------------------------------------------------------------


async def test_unknown_and_invalid_stored_events_are_reported_and_skipped(store: Store) -> None:
    events = operating_history(seed=6, runs=30)
    await project_live(store, events)
    good = await snapshot(store)
    newer = {**to_document(events[5]), "message_id": "from-the-future", "type": "JobTeleported", "version": 1}
    broken = {**to_document(events[-1]), "message_id": "broken-one", "job_id": ""}
    unknown_version = {**to_document(events[4]), "message_id": "v9", "version": 9}
    assert await store.append_events([newer, broken, unknown_version]) == 3

    result = await replay(store)

    assert result.events == len(events) + 3
    assert result.skipped.by_type == {"JobTeleported": 1, events[-1].type: 1, events[4].type: 1}
    out = io.StringIO()
    report(result, out)
    assert "skipped 1 stored event(s) of type JobTeleported: unknown message type" in out.getvalue()
    assert await snapshot(store) == good, "skipped, the rest replayed and swapped in"


async def test_a_replay_that_fails_halfway_leaves_the_live_read_models_untouched(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = operating_history(seed=8)
    await project_live(store, events)
    damaged_job = (await snapshot(store)).jobs[0].job.model_copy(update={"name": "only live has this"})
    await put_job(store, damaged_job)
    before = await snapshot(store)
    real_fold = replay_fold.ReplayFolder.fold_stored
    calls = 0

    async def failing_fold(self: replay_fold.ReplayFolder, batch: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("disk on fire")
        await real_fold(self, batch)

    monkeypatch.setattr(replay_fold.ReplayFolder, "fold_stored", failing_fold)
    with pytest.raises(RuntimeError, match="disk on fire"):
        await replay(store, batch_size=50)
    assert await snapshot(store) == before
    if isinstance(store, SQLiteStore):
        assert rebuild_tables(store.path) == [], "the half-built tables are dropped"

    monkeypatch.setattr(replay_fold.ReplayFolder, "fold_stored", real_fold)
    await replay(store, batch_size=50)
    assert (await get_job_name(store, damaged_job.job_id)) != "only live has this"


async def get_job_name(store: Store, job_id: str) -> str | None:
    job = await store.get_job(job_id)
    return None if job is None else job.name


# --- versions -----------------------------------------------------------------------------------------------


async def test_stored_old_versions_are_replayed_in_the_current_shape(store: Store) -> None:
    events = operating_history(seed=9, runs=10)
    await project_live(store, events)
    queued = next(event for event in events if isinstance(event, RunQueued))
    v1 = ExecutionMarkedFailed(
        producer="scheduler:old",
        job_id=queued.job_id,
        execution_id=queued.execution_id,
        actor=V1_SCHEDULER_ACTOR,
        reason="worker lost",
    )
    await store.append_events([{**to_document(v1), "version": 1}])

    await replay(store)

    history, _ = await store.list_history(HistoryQuery(limit=EVERYTHING))
    assert v1.message_id not in {entry.history_id for entry in history}, (
        "a v1 failure by 'scheduler' is the scheduler's own, not an operator action"
    )
    stored, _ = await store.list_events(EventQuery(execution_id=queued.execution_id, limit=EVERYTHING))
    (shown,) = [document for document in stored if document["message_id"] == v1.message_id]
    assert shown["version"] == 2 and shown["actor"] is None


# --- the progress bar ---------------------------------------------------------------------------------------


def test_the_progress_bar_shows_done_total_rate_and_time_left() -> None:
    now = [0.0]
    stream = io.StringIO()
    bar = ProgressBar(1000, stream=stream, clock=lambda: now[0], log_interval_s=1.0)
    now[0] = 2.0
    bar.advance(250)
    now[0] = 2.5
    bar.advance(100)  # within the interval: not drawn
    now[0] = 4.0
    bar.advance(150)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("replay [########......................]  25% 250/1,000 events")
    assert "125 events/s" in lines[0] and "6 s left" in lines[0]
    assert len(lines) == 2 and " 50% 500/1,000 events" in lines[1]


def test_the_result_reports_events_per_second() -> None:
    out = io.StringIO()
    report(ReplayResult(events=120_000, seconds=4.0), out)
    assert out.getvalue().splitlines() == [
        "replayed 120,000 events in 4.0 s (30,000 events/s)",
        "read models rebuilt and swapped in",
    ]
