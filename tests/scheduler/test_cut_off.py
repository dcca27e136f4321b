"""Time during which the scheduler was cut off from the broker never counts as missing heartbeats."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from contracts.events import JobStarted
from contracts.events import RunQueued
from domain.scheduling.decide import Watch
from domain.scheduling.decide import decide_tick
from domain.scheduling.fire import Now
from domain.scheduling.state import SchedulerState
from domain.scheduling.state import evolve
from domain.scheduling.state import graced
from tests.domain.scheduling_model import JOB

T0 = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
WATCH = Watch(heartbeat_timeout_s=30.0, queued_redispatch_s=60.0, queued_max_wait_s=3600.0)


def running_run() -> SchedulerState:
    envelope = {"producer": "p", "job_id": JOB.job_id, "execution_id": "e1", "attempt": 1}
    start = Now(T0, 0.0)
    state = evolve(
        SchedulerState(), RunQueued(**envelope, job_name="j", scheduled_time=T0, occurred_at=T0), start
    )
    started = JobStarted(**envelope, job_name="j", worker_id="w1", started_at=T0, scheduled_time=T0)
    return evolve(state, started, start)


def lost(state: SchedulerState, mono: float) -> list[str]:
    decisions = decide_tick(state, {JOB.job_id: JOB}, Now(T0, mono), WATCH, producer="p", jitter=lambda: 0.0)
    return [message.execution_id for decision in decisions for message in decision.messages]  # type: ignore[attr-defined]


def test_after_an_outage_every_run_gets_a_full_timeout_of_fresh_heartbeats() -> None:
    state = running_run()
    assert lost(state, 45.0) == ["e1"]  # the broker was away for 45 s: no heartbeat could arrive
    state = graced(state, Now(T0, 45.0))
    assert lost(state, 45.0 + 29) == []
    assert lost(state, 45.0 + 31) == ["e1"]
