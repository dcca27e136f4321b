"""Time during which the scheduler was cut off from the broker never counts as missing heartbeats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contracts.events import JobStarted, RunQueued
from services.scheduler.run_tracker import RunTracker

T0 = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
TIMEOUT_S = 30.0


def running_run(tracker: RunTracker) -> None:
    envelope = {"producer": "p", "job_id": "j", "execution_id": "e1", "attempt": 1}
    tracker.observe(RunQueued(**envelope, job_name="j", scheduled_time=T0, occurred_at=T0), T0)
    tracker.observe(
        JobStarted(**envelope, job_name="j", worker_id="w1", started_at=T0, scheduled_time=T0), T0
    )


def test_after_an_outage_every_run_gets_a_full_timeout_of_fresh_heartbeats() -> None:
    tracker = RunTracker()
    running_run(tracker)
    back = T0 + timedelta(seconds=45)  # the broker was away: no heartbeat could arrive
    assert [run.execution_id for run in tracker.lost(back, TIMEOUT_S)] == ["e1"]
    tracker.grace_all(back)
    assert tracker.lost(back + timedelta(seconds=TIMEOUT_S - 1), TIMEOUT_S) == []
    assert [run.execution_id for run in tracker.lost(back + timedelta(seconds=TIMEOUT_S + 1), TIMEOUT_S)] == [
        "e1"
    ]
