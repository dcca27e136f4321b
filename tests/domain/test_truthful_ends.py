"""The ends that used to hide something: a partial run, a queued run cancelled before it started."""

from __future__ import annotations

from contracts.events import CancelRequested
from contracts.events import JobStarted
from contracts.events import QueuedRunCancelled
from contracts.events import RunQueued
from domain.catalogue_projection import history_line
from tests.domain.test_execution_projection import IDS
from tests.domain.test_execution_projection import at
from tests.domain.test_execution_projection import fold
from tests.domain.test_execution_projection import live
from tests.domain.test_execution_projection import run_stream

QUEUED = RunQueued(**IDS, producer="scheduler:s", occurred_at=at(0), job_name="canary", scheduled_time=at(0))
CANCELLED = QueuedRunCancelled(**IDS, producer="scheduler:s", occurred_at=at(0.5), actor="admin")


def test_a_partial_run_ends_partial_with_what_was_done_and_what_was_not() -> None:
    record = live(run_stream(status="partial"))
    assert record.status == "partial"
    assert record.error_message == "x" and record.finished_at == at(5)
    assert record.progress == 100.0 * 3 / 3 and record.execution_time == 4.0


def test_a_queued_run_cancelled_before_it_started_ends_cancelled_at_once_with_who_asked() -> None:
    record = live([QUEUED, CANCELLED])
    assert record.status == "cancelled"
    assert record.cancel_requested and record.cancel_requested_by == "admin"
    assert record.finished_at == at(0.5) and record.started_at is None and record.execution_time is None
    assert record.error_message is not None and "admin" in record.error_message


def test_a_late_start_never_reopens_a_run_cancelled_in_the_queue() -> None:
    started = JobStarted(
        **IDS,
        producer="worker:w1",
        attempt=1,
        sequence=1,
        occurred_at=at(1),
        job_name="canary",
        worker_id="w1",
        started_at=at(1),
        scheduled_time=at(0),
    )
    for order in ([QUEUED, CANCELLED, started], [QUEUED, started, CANCELLED], [CANCELLED, started, QUEUED]):
        record = live(order)
        assert record.status == "cancelled", order


def test_the_first_cancel_request_is_the_one_shown() -> None:
    earlier = CancelRequested(**IDS, producer="scheduler:s", occurred_at=at(0.2), actor="bob")
    record = live([QUEUED, earlier, CANCELLED])
    assert record.status == "cancelled"
    assert record.cancel_requested_by == "bob" and record.cancel_requested_at == at(0.2)
    assert fold([QUEUED, CANCELLED, earlier]) == record


def test_a_cancel_in_the_queue_is_an_operator_history_line() -> None:
    line = history_line(CANCELLED)
    assert line is not None and (line.action, line.actor, line.execution_id) == ("cancel", "admin", "e1")
