"""One-off runs in the decider and the execution projection: planned, released at their moment, cancelled
before it, reloaded by a new leader; the record reads `scheduled` until released, in any event order."""

from __future__ import annotations

from datetime import timedelta
from itertools import permutations

from contracts.commands import CancelExecution
from contracts.commands import TriggerJob
from contracts.envelope import ExecutionEvent
from contracts.events import CommandRejected
from contracts.events import JobMissed
from contracts.events import JobSkipped
from contracts.events import QueuedRunCancelled
from contracts.events import RunQueued
from contracts.events import RunScheduled
from contracts.runs import RunJob
from domain.catalogue_projection import history_entry
from domain.execution_projection import ExecutionState
from domain.execution_projection import project_execution
from domain.records import ExecutionRecord
from domain.scheduling.commands import Facts
from domain.scheduling.commands import decide_command
from domain.scheduling.decide import Decision
from domain.scheduling.fire import Now
from domain.scheduling.one_offs import ONE_OFF_HORIZON
from domain.scheduling.one_offs import decide_one_off
from domain.scheduling.one_offs import one_off_refusal
from domain.scheduling.state import SchedulerState
from domain.scheduling.state import evolve
from domain.scheduling.state import loaded
from tests.domain.scheduling_model import JOB
from tests.domain.scheduling_model import PRODUCER
from tests.domain.scheduling_model import T0

RUN_AT = T0 + timedelta(minutes=10)
NOW = Now(T0, 0.0)


def one_off(execution_id: str = "once-1", run_at: object = RUN_AT) -> TriggerJob:
    return TriggerJob(
        producer="api",
        actor="ops",
        job_id=JOB.job_id,
        execution_id=execution_id,
        occurred_at=T0,
        run_at=run_at,
        kwargs={"duration_s": 2},
    )


def fold(state: SchedulerState, decision: Decision, now: Now) -> SchedulerState:
    for message in decision.messages:
        state = evolve(state, message, now)
    return state


def planned_state() -> SchedulerState:
    decision = decide_command(SchedulerState(), one_off(), Facts(job=JOB), NOW, PRODUCER)
    return fold(SchedulerState(), decision, NOW)


def test_a_trigger_with_a_future_run_at_is_planned_not_run() -> None:
    decision = decide_command(SchedulerState(), one_off(), Facts(job=JOB), NOW, PRODUCER)
    (event,) = decision.messages
    assert isinstance(event, RunScheduled)
    assert event.scheduled_time == RUN_AT and event.kwargs == {"duration_s": 2} and event.actor == "ops"
    state = fold(SchedulerState(), decision, NOW)
    assert state.outcome("once-1") == "scheduled"
    assert state.active_count(JOB.job_id) == 0  # a planned run holds no overlap slot
    assert state.due(RUN_AT - timedelta(seconds=1)) == []
    assert [run.execution_id for run in state.due(RUN_AT)] == ["once-1"]


def test_a_redelivered_one_off_trigger_plans_nothing_again() -> None:
    state = planned_state()
    assert decide_command(state, one_off(), Facts(job=JOB), NOW, PRODUCER).messages == ()
    record = ExecutionRecord(
        execution_id="once-1",
        job_id=JOB.job_id,
        job_name=JOB.name,
        status="success",
        timestamp=T0,
        updated_at=T0,
    )
    again = decide_command(SchedulerState(), one_off(), Facts(job=JOB, record=record), NOW, PRODUCER)
    assert again.messages == ()


def test_run_at_beyond_a_year_is_refused_by_the_decider_too() -> None:
    far = one_off(run_at=T0 + ONE_OFF_HORIZON + timedelta(minutes=1))
    decision = decide_command(SchedulerState(), far, Facts(job=JOB), NOW, PRODUCER)
    assert isinstance(decision.messages[0], CommandRejected)
    assert decision.rejection is not None and "more than a year" in decision.rejection


def test_the_refusals_name_the_problem() -> None:
    assert one_off_refusal(T0, T0) is not None and "not in the future" in (one_off_refusal(T0, T0) or "")
    assert one_off_refusal(T0 + timedelta(days=30), T0) is None
    assert "more than a year" in (one_off_refusal(T0 + timedelta(days=367), T0) or "")


def test_a_run_at_already_past_when_the_command_arrives_runs_at_once() -> None:
    late = Now(RUN_AT + timedelta(seconds=1), 1.0)
    decision = decide_command(SchedulerState(), one_off(), Facts(job=JOB), late, PRODUCER)
    queued = decision.messages[0]
    assert isinstance(queued, RunQueued) and queued.scheduled_time == RUN_AT and queued.is_manual


def test_released_at_its_moment_it_runs_once_with_its_kwargs() -> None:
    state = planned_state()
    (planned,) = state.due(RUN_AT)
    at_moment = Now(RUN_AT, 600.0)
    decision = decide_one_off(state, JOB, planned, at_moment, producer=PRODUCER, recorded="scheduled")
    queued, run = decision.messages
    assert isinstance(queued, RunQueued) and isinstance(run, RunJob)
    assert queued.execution_id == run.execution_id == "once-1"
    assert run.kwargs == {"duration_s": 2} and queued.scheduled_time == RUN_AT and queued.actor == "ops"
    after = fold(state, decision, at_moment)
    assert after.planned == {} and after.outcome("once-1") == "queued"
    # deciding it again (a second timer round, a redelivery) does nothing
    assert decide_one_off(after, JOB, planned, at_moment, producer=PRODUCER, recorded="queued").messages == ()


def test_a_one_off_run_late_beyond_the_grace_time_is_missed() -> None:
    state = planned_state()
    (planned,) = state.due(RUN_AT)
    late = Now(RUN_AT + timedelta(seconds=JOB.misfire_grace_time + 1), 0.0)
    decision = decide_one_off(state, JOB, planned, late, producer=PRODUCER)
    (missed,) = decision.messages
    assert isinstance(missed, JobMissed) and "misfire grace time" in missed.reason
    assert fold(state, decision, late).planned == {}


def test_a_one_off_run_of_a_job_that_no_longer_exists_is_skipped() -> None:
    state = planned_state()
    (planned,) = state.due(RUN_AT)
    (skipped,) = decide_one_off(state, None, planned, Now(RUN_AT, 0.0), producer=PRODUCER).messages
    assert isinstance(skipped, JobSkipped) and "no longer exists" in skipped.reason


def test_the_overlap_policy_holds_for_a_released_one_off_run() -> None:
    state = planned_state()
    busy = decide_command(
        state,
        TriggerJob(producer="api", actor="ops", job_id=JOB.job_id, execution_id="now-1", occurred_at=T0),
        Facts(job=JOB),
        NOW,
        PRODUCER,
    )
    state = fold(state, busy, NOW)
    (planned,) = state.due(RUN_AT)
    (skipped,) = decide_one_off(state, JOB, planned, Now(RUN_AT, 1.0), producer=PRODUCER).messages
    assert isinstance(skipped, JobSkipped) and skipped.is_manual


def test_cancelling_a_planned_run_claims_it_and_it_is_never_released() -> None:
    state = planned_state()
    record = ExecutionRecord(
        execution_id="once-1",
        job_id=JOB.job_id,
        job_name=JOB.name,
        status="scheduled",
        timestamp=T0,
        updated_at=T0,
        run_at=RUN_AT,
    )
    cancel = CancelExecution(producer="api", actor="ops", execution_id="once-1", occurred_at=T0)
    decision = decide_command(state, cancel, Facts(record=record), NOW, PRODUCER)
    assert (
        decision.claim is not None and decision.claim.execution_id == "once-1" and decision.claim.attempt == 1
    )
    assert decision.if_claimed is not None
    (cancelled,) = decision.if_claimed
    assert isinstance(cancelled, QueuedRunCancelled)
    after = evolve(state, cancelled, NOW)
    assert after.due(RUN_AT + timedelta(days=1)) == [] and after.outcome("once-1") == "cancelled"


def test_a_new_leader_reloads_planned_runs_from_the_read_model() -> None:
    record = ExecutionRecord(
        execution_id="once-1",
        job_id=JOB.job_id,
        job_name=JOB.name,
        status="scheduled",
        scheduled_time=RUN_AT,
        timestamp=T0,
        updated_at=T0,
        run_at=RUN_AT,
        kwargs={"duration_s": 2},
        actor="ops",
    )
    state = loaded([record], (), NOW)
    assert state.runs == {}
    (planned,) = state.due(RUN_AT)
    assert planned.kwargs == {"duration_s": 2} and planned.actor == "ops"
    # a late duplicate `RunScheduled` of a run released since plans nothing (`recorded`: its stored status)
    event = RunScheduled(
        producer=PRODUCER, job_id=JOB.job_id, execution_id="once-2", job_name=JOB.name, scheduled_time=RUN_AT
    )
    assert "once-2" not in evolve(state, event, NOW, recorded="success").planned


def _project(events: list[ExecutionEvent]) -> ExecutionState:
    state: ExecutionState = None
    for event in events:
        state = project_execution(state, event)
    return state


def test_the_record_is_scheduled_until_released_whatever_the_order() -> None:
    ids = {"job_id": JOB.job_id, "execution_id": "once-1", "producer": PRODUCER}
    scheduled = RunScheduled(**ids, occurred_at=T0, job_name=JOB.name, scheduled_time=RUN_AT, actor="ops")
    queued = RunQueued(**ids, occurred_at=RUN_AT, job_name=JOB.name, scheduled_time=RUN_AT, is_manual=True)
    alone = _project([scheduled])
    assert isinstance(alone, ExecutionRecord)
    assert alone.status == "scheduled" and alone.scheduled_time == RUN_AT and alone.is_manual
    for order in permutations([scheduled, queued]):
        record = _project(list(order))
        assert isinstance(record, ExecutionRecord)
        assert record.status == "queued" and record.run_at == RUN_AT and record.scheduled_time == RUN_AT


def test_planning_a_one_off_run_is_a_line_of_the_operator_history() -> None:
    event = RunScheduled(
        producer=PRODUCER,
        job_id=JOB.job_id,
        execution_id="once-1",
        job_name=JOB.name,
        scheduled_time=RUN_AT,
        actor="ops",
    )
    line = history_entry(event)
    assert line is not None and line.action == "schedule_run" and line.actor == "ops"
    assert line.details["run_at"] == RUN_AT.isoformat() and line.execution_id == "once-1"
