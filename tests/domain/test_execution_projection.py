"""Execution projection: pure, guarded, idempotent; tested without any database."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from contracts.envelope import Event
from contracts.envelope import ExecutionEvent
from contracts.events import CancelRequested
from contracts.events import ExecutionDeleted
from contracts.events import ExecutionMarkedFailed
from contracts.events import JobFinished
from contracts.events import JobSkipped
from contracts.events import JobStarted
from contracts.events import Progress
from contracts.events import RunQueued
from contracts.events import RunWaiting
from domain.catalogue_projection import HISTORY_EVENT_TYPES
from domain.catalogue_projection import history_line
from domain.execution_projection import ExecutionState
from domain.execution_projection import project_execution
from domain.records import ExecutionRecord
from domain.records import ExecutionTombstone
from tests.contracts.examples import examples

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
IDS = {"job_id": "pipeline_canary", "execution_id": "e1"}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def run_stream(*, steps: int = 3, status: str = "success") -> list[ExecutionEvent]:
    worker: dict[str, Any] = {**IDS, "producer": "worker:w1", "attempt": 1}
    stream: list[ExecutionEvent] = [
        RunQueued(**IDS, producer="scheduler:s", occurred_at=at(0), job_name="canary", scheduled_time=at(0)),
        JobStarted(
            **worker,
            sequence=1,
            occurred_at=at(1),
            job_name="canary",
            worker_id="w1",
            started_at=at(1),
            scheduled_time=at(0),
        ),
    ]
    for step in range(1, steps + 1):
        stream.append(
            Progress(**worker, sequence=1 + step, occurred_at=at(1 + step), progress=100 * step / steps)
        )
    stream.append(
        JobFinished(
            **worker,
            sequence=steps + 2,
            occurred_at=at(steps + 2),
            status=status,
            started_at=at(1),
            finished_at=at(steps + 2),
            error_message=None if status == "success" else "x",
        )
    )
    return stream


def fold(events: list[ExecutionEvent]) -> ExecutionState:
    record: ExecutionState = None
    for event in events:
        record = project_execution(record, event)
    return record


def live(events: list[ExecutionEvent]) -> ExecutionRecord:
    """The fold of `events`, which must be a record (neither absent nor deleted)."""
    record = fold(events)
    assert isinstance(record, ExecutionRecord), record
    return record


def test_a_run_goes_queued_running_success_with_progress_100() -> None:
    stream = run_stream()
    queued = live(stream[:1])
    assert queued.status == "queued"
    running = live(stream[:3])
    assert running.status == "running" and running.progress is not None
    done = live(stream)
    assert (done.status, done.progress, done.execution_time) == ("success", 100.0, 4.0)
    assert done.timestamp == at(0) and done.updated_at == at(5)


def test_a_late_progress_never_reopens_a_finished_run() -> None:
    stream = run_stream(steps=2)
    late = stream[2]
    record = live([*stream[:2], *stream[3:], late])
    assert record.status == "success" and record.progress == 100.0


def test_a_duplicate_changes_nothing() -> None:
    stream = run_stream()
    assert fold(stream + stream) == fold(stream)


def test_cancel_request_is_visible_while_pending_and_kept_after_the_end() -> None:
    stream = run_stream(status="cancelled")
    cancel = CancelRequested(**IDS, producer="scheduler:s", occurred_at=at(2.5), actor="admin")
    pending = live([*stream[:3], cancel])
    assert pending.cancel_requested and pending.status == "running"
    ended = live([*stream[:3], cancel, *stream[3:]])
    assert ended.status == "cancelled" and ended.cancel_requested_by == "admin"


def test_the_first_terminal_fact_wins_whatever_the_delivery_order() -> None:
    stream = run_stream()
    marked = ExecutionMarkedFailed(
        **IDS, producer="scheduler:s", occurred_at=at(3.5), actor="admin", reason="stuck"
    )
    in_order = live([*stream[:-1], marked, stream[-1]])
    reversed_end = fold([*stream[:-1], stream[-1], marked])
    assert in_order == reversed_end
    assert in_order.status == "failed" and in_order.error_message == "stuck"


def test_deleted_means_no_record_and_nothing_brings_it_back() -> None:
    stream = run_stream()
    deleted = ExecutionDeleted(**IDS, producer="scheduler:s", occurred_at=at(9), actor="admin")
    tombstone = fold([*stream, deleted])
    assert tombstone == ExecutionTombstone(
        execution_id="e1", job_id="pipeline_canary", deleted_at=at(9), actor="admin"
    )
    assert fold([*stream, deleted, stream[2], stream[-1]]) == tombstone, "a late or redelivered event"


@settings(max_examples=200, deadline=None)
@given(data=st.data(), steps=st.integers(min_value=1, max_value=5), failed=st.booleans())
def test_shuffled_and_duplicated_streams_project_like_the_ordered_one(
    data: st.DataObject, steps: int, failed: bool
) -> None:
    stream = run_stream(steps=steps, status="failed" if failed else "success")
    duplicated = stream + data.draw(st.lists(st.sampled_from(stream), max_size=len(stream)))
    shuffled = data.draw(st.permutations(duplicated))
    assert fold(shuffled) == fold(stream)


def test_an_event_that_changes_nothing_gives_the_same_state_back() -> None:
    """What lets a fold skip the record: `project_execution` returns its state itself."""
    state: ExecutionState = None
    for event in run_stream():
        state = project_execution(state, event)
    for event in run_stream():
        assert project_execution(state, event) is state


def test_history_is_looked_for_in_every_event_type_that_can_make_a_line() -> None:
    """`history_entry` skips the types outside `HISTORY_EVENT_TYPES`: none of them makes a line."""
    for message in examples():
        if isinstance(message, Event) and not isinstance(message, HISTORY_EVENT_TYPES):
            assert history_line(message) is None, f"{message.type} makes a history line"


def test_a_waiting_fire_is_listed_waiting_then_runs_or_is_skipped_in_any_order() -> None:
    waits = RunWaiting(
        **IDS,
        producer="scheduler:s",
        occurred_at=at(-60),
        job_name="canary",
        scheduled_time=at(-60),
        waiting_for=["akshare_historical_sync"],
        wait_until=at(3600),
    )
    waiting = live([waits])
    assert (waiting.status, waiting.waiting_for, waiting.wait_until) == (
        "waiting",
        ["akshare_historical_sync"],
        at(3600),
    )
    stream = run_stream()
    for events in ([waits, *stream], [stream[0], waits, *stream[1:]]):
        assert live(events[:2]).status == "queued"
        done = live(events)
        assert done.status == "success" and done.waiting_for == ["akshare_historical_sync"]
    skipped = JobSkipped(
        **IDS,
        producer="scheduler:s",
        occurred_at=at(3600),
        job_name="canary",
        scheduled_time=at(-60),
        reason="wait_timeout: akshare_historical_sync",
    )
    ended = live([waits, skipped])
    assert (ended.status, ended.error_message) == ("skipped", "wait_timeout: akshare_historical_sync")
    assert live([skipped, waits]).status == "skipped"
