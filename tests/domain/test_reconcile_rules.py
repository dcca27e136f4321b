"""The leader's reconciliation with the read model (`domain.scheduling.reconcile`): the unfinished executions
the store lists and the state does not hold are adopted as a new leader adopts them, and watched again."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from contracts.commands import TriggerJob
from contracts.events import ExecutionMarkedFailed
from contracts.events import JobFinished
from contracts.events import RunQueued
from contracts.runs import RunJob
from domain.records import ExecutionRecord
from domain.scheduling.commands import Facts
from domain.scheduling.commands import decide_command
from domain.scheduling.decide import Watch
from domain.scheduling.decide import decide_tick
from domain.scheduling.fire import Now
from domain.scheduling.reconcile import reconciled
from domain.scheduling.reconcile import strays
from domain.scheduling.state import SchedulerState
from domain.scheduling.state import evolve
from domain.scheduling.state import forgotten
from domain.scheduling.state import loaded
from tests.domain.scheduling_model import JOB
from tests.domain.scheduling_model import PRODUCER
from tests.domain.scheduling_model import T0

WATCH = Watch(heartbeat_timeout_s=30.0, queued_redispatch_s=60.0, queued_max_wait_s=600.0)
JOBS = {JOB.job_id: JOB}
GRACE_S = 5.0
LATER = Now(T0 + timedelta(seconds=10), 100.0)  # the records below changed 10 s before this


def record(
    execution_id: str,
    status: str = "queued",
    *,
    updated_at: datetime = T0,
    attempt: int = 1,
    run_at: datetime | None = None,
) -> ExecutionRecord:
    return ExecutionRecord(
        execution_id=execution_id,
        job_id=JOB.job_id,
        job_name=JOB.name,
        status=status,
        scheduled_time=T0,
        timestamp=T0,
        updated_at=updated_at,
        attempt=attempt,
        run_at=run_at,
        kwargs={"duration_s": 0},
    )


def sent(state: SchedulerState, now: Now) -> list[RunJob]:
    decisions = decide_tick(state, JOBS, now, WATCH, producer=PRODUCER, jitter=lambda: 0.0)
    return [message for decision in decisions for message in decision.messages if isinstance(message, RunJob)]


def test_the_hole_a_run_forgotten_after_an_unconfirmed_publish_is_adopted_and_sent_again() -> None:
    """The bench's hole: `RunQueued` reached the broker but the publish was not confirmed; the state forgot
    the run, the redelivered command found it recorded and left it, and nothing sent its lost `RunJob`."""
    command = TriggerJob(producer="api", actor="ops", job_id=JOB.job_id, execution_id="m1", occurred_at=T0)
    decision = decide_command(SchedulerState(), command, Facts(job=JOB), Now(T0, 0.0), PRODUCER)
    state = SchedulerState()
    for message in decision.messages:
        state = evolve(state, message, Now(T0, 0.0))
    state = forgotten(state, "m1")  # the publish raised: decided afresh on redelivery
    again = decide_command(state, command, Facts(job=JOB, record=record("m1")), Now(T0, 1.0), PRODUCER)
    assert again.messages == ()  # recorded `queued`: left as it is
    assert sent(state, Now(T0, 10_000.0)) == []  # the hole: never sent again

    adopted = reconciled(state, [record("m1")], LATER, grace_s=GRACE_S)
    assert adopted.adopted == ("m1",)
    assert sent(adopted.state, Now(LATER.wall, LATER.mono + WATCH.queued_redispatch_s - 1)) == []
    (run_job,) = sent(adopted.state, Now(LATER.wall, LATER.mono + WATCH.queued_redispatch_s + 1))
    assert (run_job.execution_id, run_job.attempt) == ("m1", 1)  # the same attempt: the run claim holds


def test_a_record_changed_within_the_grace_is_left_for_the_next_pass() -> None:
    fresh = record("e1", updated_at=LATER.wall - timedelta(seconds=GRACE_S - 1))
    assert reconciled(SchedulerState(), [fresh], LATER, grace_s=GRACE_S).adopted == ()
    assert reconciled(SchedulerState(), [fresh], LATER, grace_s=GRACE_S - 1).adopted == ("e1",)


def test_an_execution_the_state_knows_is_never_adopted() -> None:
    state = evolve(
        SchedulerState(),
        RunQueued(producer="s", job_id=JOB.job_id, execution_id="held", job_name="j", scheduled_time=T0),
        Now(T0, 0.0),
    )
    finished = JobFinished(
        producer="w",
        job_id=JOB.job_id,
        execution_id="ended",
        attempt=1,
        status="success",
        started_at=T0,
        finished_at=T0,
    )
    state = evolve(state, finished, Now(T0, 0.0))
    outcome = reconciled(state, [record("held", "running"), record("ended")], LATER, grace_s=GRACE_S)
    assert outcome.adopted == () and outcome.state is state


def test_finished_and_waiting_records_are_not_adopted() -> None:
    records = [record(f"e-{status}", status) for status in ("success", "failed", "cancelled", "waiting")]
    assert strays(SchedulerState(), records, LATER, grace_s=GRACE_S) == []


def test_a_running_run_is_adopted_under_the_heartbeat_watch() -> None:
    state = reconciled(SchedulerState(), [record("r1", "running", attempt=2)], LATER, grace_s=GRACE_S).state
    run = state.runs["r1"]
    assert run.running and run.attempt == 2 and run.heard_at == LATER.mono
    silent = Now(LATER.wall, LATER.mono + WATCH.heartbeat_timeout_s + 1)
    decisions = decide_tick(state, JOBS, silent, WATCH, producer=PRODUCER, jitter=lambda: 0.0)
    assert [type(message) for decision in decisions for message in decision.messages] == [
        ExecutionMarkedFailed  # attempt 2 of at most 2: lost, no retry left
    ]


def test_a_one_off_run_is_adopted_as_planned() -> None:
    run_at = T0 + timedelta(minutes=5)
    state = reconciled(
        SchedulerState(), [record("o1", "scheduled", run_at=run_at)], LATER, grace_s=GRACE_S
    ).state
    assert state.runs == {} and state.planned["o1"].run_at == run_at
    assert [planned.execution_id for planned in state.due(run_at)] == ["o1"]


def test_adoption_is_take_over_s_and_adds_to_what_the_state_holds() -> None:
    held = evolve(
        SchedulerState(),
        RunQueued(producer="s", job_id=JOB.job_id, execution_id="held", job_name="j", scheduled_time=T0),
        Now(T0, 0.0),
    )
    records = [record("q1"), record("r1", "running", updated_at=T0 - timedelta(seconds=1)), record("q1")]
    outcome = reconciled(held, records, LATER, grace_s=GRACE_S)
    assert outcome.adopted == ("r1", "q1")  # each once, oldest change first
    taken_over = loaded([record("q1"), record("r1", "running")], (), LATER)
    assert dict(outcome.state.runs) == {**held.runs, **taken_over.runs}
    assert reconciled(outcome.state, records, LATER, grace_s=GRACE_S).adopted == ()  # the next pass: nothing
