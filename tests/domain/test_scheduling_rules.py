"""The decider's rules, each tested as a rule of one pure function (see the README's "Scheduling rules")."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from contracts.commands import TriggerJob
from contracts.events import AttemptFailed
from contracts.events import ExecutionMarkedFailed
from contracts.events import FiresDropped
from contracts.events import JobMissed
from contracts.events import JobSkipped
from contracts.events import JobStarted
from contracts.events import RunRef
from contracts.events import WorkerHeartbeat
from contracts.runs import RunJob
from domain.records import ExecutionRecord
from domain.scheduling.commands import Facts
from domain.scheduling.commands import decide_command
from domain.scheduling.decide import Decision
from domain.scheduling.decide import Watch
from domain.scheduling.decide import decide_fire
from domain.scheduling.decide import decide_tick
from domain.scheduling.fire import Fire
from domain.scheduling.fire import Now
from domain.scheduling.fire import scheduled_execution_id
from domain.scheduling.instants import downtime_fires
from domain.scheduling.instants import stalled_fires
from domain.scheduling.state import SchedulerState
from domain.scheduling.state import evolve
from domain.scheduling.state import loaded
from tests.domain.scheduling_model import JOB
from tests.domain.scheduling_model import PRODUCER
from tests.domain.scheduling_model import T0
from tests.domain.scheduling_model import Every

WATCH = Watch(heartbeat_timeout_s=30.0, queued_redispatch_s=60.0, queued_max_wait_s=600.0)
JOBS = {JOB.job_id: JOB}


def fold(state: SchedulerState, decision: Decision, now: Now) -> SchedulerState:
    for message in decision.messages:
        state = evolve(state, message, now)
    return state


def types(decision: Decision) -> list[str]:
    return [message.type for message in decision.messages]


def trigger_command() -> TriggerJob:
    return TriggerJob(producer="api", actor="ops", job_id=JOB.job_id, execution_id="manual-1", occurred_at=T0)


def queued_record(execution_id: str, status: str = "queued") -> ExecutionRecord:
    return ExecutionRecord(
        execution_id=execution_id,
        job_id=JOB.job_id,
        job_name=JOB.name,
        status=status,
        scheduled_time=T0,
        timestamp=T0,
        updated_at=T0,
    )


# --- 1. idempotent by execution id ------------------------------------------------------------------------
def test_a_redelivered_trigger_job_changes_nothing() -> None:
    now = Now(T0, 0.0)
    first = decide_command(SchedulerState(), trigger_command(), Facts(job=JOB), now, PRODUCER)
    assert types(first) == ["RunQueued", "RunJob"]
    state = fold(SchedulerState(), first, now)
    again = decide_command(state, trigger_command(), Facts(job=JOB), now, PRODUCER)
    assert again.messages == () and again.rejection is None


def test_a_trigger_job_for_an_execution_the_store_knows_changes_nothing() -> None:
    record = queued_record("manual-1", status="success")
    decision = decide_command(
        SchedulerState(), trigger_command(), Facts(job=JOB, record=record), Now(T0, 0), PRODUCER
    )
    assert decision.messages == ()


def test_a_new_leader_re_deciding_a_queued_fire_does_nothing() -> None:
    fire = Fire.at(JOB.job_id, T0)
    state = loaded([queued_record(fire.execution_id)], (), Now(T0, 0.0))
    assert decide_fire(state, JOB, fire, Now(T0, 0.0), producer=PRODUCER).messages == ()


def test_the_overlap_check_never_counts_the_run_being_decided() -> None:
    fire = Fire.at(JOB.job_id, T0)
    state = loaded([queued_record(fire.execution_id)], (), Now(T0, 0.0))
    assert state.active_count(JOB.job_id, excluding=fire.execution_id) == 0
    other = Fire.at(JOB.job_id, T0 + timedelta(minutes=1))
    assert types(decide_fire(state, JOB, other, Now(T0, 0), producer=PRODUCER)) == ["JobSkipped"]


def test_a_skip_or_a_miss_never_changes_an_execution_that_exists() -> None:
    fire = Fire.at(JOB.job_id, T0)
    state = loaded([queued_record(fire.execution_id)], (), Now(T0, 0.0))
    envelope = {"producer": "old", "job_id": JOB.job_id, "execution_id": fire.execution_id, "job_name": "j"}
    for event in (
        JobSkipped(**envelope, scheduled_time=T0, reason="x"),
        JobMissed(**envelope, scheduled_time=T0, reason="x"),
    ):
        assert evolve(state, event, Now(T0, 1.0)) == state


def test_execution_ids_come_from_the_instant_whatever_its_offset() -> None:
    shanghai = T0.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    assert scheduled_execution_id(JOB.job_id, shanghai) == scheduled_execution_id(JOB.job_id, T0)


# --- 2. two clocks ---------------------------------------------------------------------------------------
def running_state() -> SchedulerState:
    now = Now(T0, 0.0)
    state = fold(
        SchedulerState(),
        decide_fire(SchedulerState(), JOB, Fire.at(JOB.job_id, T0), now, producer=PRODUCER),
        now,
    )
    execution_id = scheduled_execution_id(JOB.job_id, T0)
    started = JobStarted(
        producer="w",
        job_id=JOB.job_id,
        execution_id=execution_id,
        job_name="j",
        worker_id="w1",
        started_at=T0,
        scheduled_time=T0,
    )
    return evolve(state, started, now)


def test_a_wall_clock_step_never_fails_a_run_whose_heartbeats_arrive() -> None:
    state = running_state()
    execution_id = scheduled_execution_id(JOB.job_id, T0)
    beat = WorkerHeartbeat(
        producer="w",
        worker_id="w1",
        capacity=1,
        interval_s=10,
        runs=(RunRef(execution_id=execution_id, job_id=JOB.job_id, attempt=1),),
    )
    for step, wall in enumerate((T0 + timedelta(hours=1), T0 - timedelta(hours=1), T0 + timedelta(days=3))):
        now = Now(wall, 10.0 * (step + 1))
        state = evolve(state, beat, now)
        assert decide_tick(state, JOBS, now, WATCH, producer=PRODUCER) == []


def test_a_silent_run_is_lost_after_the_timeout_on_the_monotonic_clock_only() -> None:
    state = running_state()
    assert decide_tick(state, JOBS, Now(T0 + timedelta(hours=5), 29.0), WATCH, producer=PRODUCER) == []
    lost = decide_tick(
        state, JOBS, Now(T0 - timedelta(hours=5), 31.0), WATCH, producer=PRODUCER, jitter=lambda: 0.0
    )
    assert [type(message) for decision in lost for message in decision.messages] == [AttemptFailed]


def test_a_retry_is_due_on_the_monotonic_clock_even_after_the_wall_clock_steps_back() -> None:
    state = running_state()
    execution_id = scheduled_execution_id(JOB.job_id, T0)
    failed = AttemptFailed(
        producer="w",
        job_id=JOB.job_id,
        execution_id=execution_id,
        reason="error",
        error_message="x",
        retry_in_s=30,
    )
    state = evolve(state, failed, Now(T0, 5.0))
    assert decide_tick(state, JOBS, Now(T0 - timedelta(hours=1), 34.0), WATCH, producer=PRODUCER) == []
    due = decide_tick(state, JOBS, Now(T0 - timedelta(hours=1), 36.0), WATCH, producer=PRODUCER)
    run = due[0].messages[0]
    assert isinstance(run, RunJob) and run.attempt == 2


def test_a_heartbeat_sent_before_an_attempt_failed_never_revives_the_attempt() -> None:
    """A worker that hands a run back on shutdown may have a heartbeat naming the run in flight: delivered
    after the `AttemptFailed`, it must not cancel the retry (the run would then be lost and failed)."""
    state = running_state()
    execution_id = scheduled_execution_id(JOB.job_id, T0)
    handed_back = AttemptFailed(
        producer="w",
        job_id=JOB.job_id,
        execution_id=execution_id,
        reason="handed_back",
        error_message="handed back",
        retry_in_s=0,
    )
    state = evolve(state, handed_back, Now(T0, 5.0))
    late_beat = WorkerHeartbeat(
        producer="w",
        worker_id="w1",
        capacity=1,
        interval_s=10,
        runs=(RunRef(execution_id=execution_id, job_id=JOB.job_id, attempt=1),),
    )
    state = evolve(state, late_beat, Now(T0, 5.1))
    due = decide_tick(state, JOBS, Now(T0, 6.0), WATCH, producer=PRODUCER)
    assert [type(message) for decision in due for message in decision.messages] == [RunJob]
    run = due[0].messages[0]
    assert isinstance(run, RunJob) and run.attempt == 2


def test_a_late_duplicate_of_a_failed_attempts_run_job_never_cancels_its_retry() -> None:
    """A redelivered `RunJob` of attempt 1 after attempt 1 failed must leave the retry (attempt 2) due;
    taken as a fresh dispatch it left the run queued for ever (its claim already taken by attempt 1)."""
    state = running_state()
    execution_id = scheduled_execution_id(JOB.job_id, T0)
    failed = AttemptFailed(
        producer="w",
        job_id=JOB.job_id,
        execution_id=execution_id,
        reason="error",
        error_message="x",
        retry_in_s=5,
    )
    state = evolve(state, failed, Now(T0, 5.0))
    first_run_job = RunJob(
        producer=PRODUCER,
        job_id=JOB.job_id,
        job_name=JOB.name,
        job_kind=JOB.job_id,
        execution_id=execution_id,
        attempt=1,
        scheduled_time=T0,
    )
    state = evolve(state, first_run_job, Now(T0, 6.0))
    due = decide_tick(state, JOBS, Now(T0, 11.0), WATCH, producer=PRODUCER)
    run = due[0].messages[0]
    assert isinstance(run, RunJob) and run.attempt == 2


# --- 3. grace across restarts and failovers --------------------------------------------------------------
def fire_origins(expected_offset_s: float, now_offset_s: float, job=JOB) -> list[tuple[str, float]]:  # type: ignore[no-untyped-def]
    plan = downtime_fires(
        job,
        Every(60),
        T0 + timedelta(seconds=expected_offset_s),
        Now(T0 + timedelta(seconds=now_offset_s), 0),
        producer=PRODUCER,
    )
    return [(fire.origin, (fire.scheduled_time - T0).total_seconds()) for fire in plan.fires]


def test_a_fire_that_fell_into_a_restart_runs_when_still_within_its_grace_time() -> None:
    # the instant T0+60 came while no scheduler led; a leader takes office 10 s later (grace 30 s)
    assert fire_origins(60, 70) == [("scheduled", 60.0)]
    plan = downtime_fires(
        JOB, Every(60), T0 + timedelta(seconds=60), Now(T0 + timedelta(seconds=70), 0), producer=PRODUCER
    )
    decision = decide_fire(
        SchedulerState(), JOB, plan.fires[0], Now(T0 + timedelta(seconds=70), 0), producer=PRODUCER
    )
    assert types(decision) == ["RunQueued", "RunJob"]


def test_beyond_the_grace_time_fires_are_missed_or_caught_up_by_the_policy() -> None:
    assert fire_origins(60, 200) == [("downtime", 60.0), ("downtime", 120.0), ("scheduled", 180.0)]
    assert fire_origins(60, 175) == [("downtime", 60.0), ("downtime", 120.0)]
    latest = replace(JOB, policy=replace(JOB.policy, catch_up="latest"))
    assert fire_origins(60, 175, latest) == [("downtime", 60.0), ("catch_up", 120.0)]


def test_catch_up_starts_from_the_current_trigger() -> None:
    # the old trigger's next instant was T0+45; the current one fires on whole minutes
    assert fire_origins(45, 130) == [("downtime", 60.0), ("scheduled", 120.0)]


# --- 4. nothing waits for ever ---------------------------------------------------------------------------
def test_a_queued_run_whose_delivery_was_lost_is_sent_again_then_ended_within_its_bound() -> None:
    now = Now(T0, 0.0)
    state = fold(
        SchedulerState(),
        decide_fire(SchedulerState(), JOB, Fire.at(JOB.job_id, T0), now, producer=PRODUCER),
        now,
    )
    assert decide_tick(state, JOBS, Now(T0, 59.0), WATCH, producer=PRODUCER) == []
    again = decide_tick(state, JOBS, Now(T0, 61.0), WATCH, producer=PRODUCER)
    assert [type(m) for m in again[0].messages] == [RunJob]
    state = fold(state, again[0], Now(T0, 61.0))
    assert decide_tick(state, JOBS, Now(T0, 61.0 + 119), WATCH, producer=PRODUCER) == []  # the bound doubles
    ended = decide_tick(state, JOBS, Now(T0, 601.0), WATCH, producer=PRODUCER)
    assert ended[0].claim is not None and ended[0].messages == ()
    assert ended[0].if_claimed is not None and isinstance(ended[0].if_claimed[0], ExecutionMarkedFailed)


# --- 5. every instant one outcome ------------------------------------------------------------------------
def test_a_stall_coalesces_its_instants_into_the_newest() -> None:
    instants = [T0 + timedelta(minutes=n) for n in range(4)]
    fires = stalled_fires(JOB, instants)
    assert [fire.origin for fire in fires] == ["coalesced"] * 3 + ["scheduled"]
    state, now = SchedulerState(), Now(T0 + timedelta(minutes=3, seconds=1), 0.0)
    outcomes = []
    for fire in fires:
        decision = decide_fire(state, JOB, fire, now, producer=PRODUCER)
        state = fold(state, decision, now)
        outcomes.append(types(decision))
    assert outcomes == [["JobSkipped"]] * 3 + [["RunQueued", "RunJob"]]
    assert all(fire.origin == "scheduled" for fire in stalled_fires(replace(JOB, coalesce=False), instants))


def test_the_catch_up_cap_keeps_the_newest_instants_and_counts_the_older_ones_once() -> None:
    plan = downtime_fires(JOB, Every(60), T0, Now(T0 + timedelta(hours=2), 0), producer=PRODUCER)
    missed = [fire.scheduled_time for fire in plan.fires if fire.origin == "downtime"]
    assert len(missed) == JOB.policy.max_catch_up_records
    assert missed[-1] == T0 + timedelta(minutes=119)  # the newest is recorded
    assert isinstance(plan.dropped, FiresDropped)
    assert plan.dropped.count == 120 - 5
    assert plan.dropped.first == T0 and plan.dropped.last == T0 + timedelta(minutes=114)


def test_a_paused_job_never_fires_but_can_be_triggered_by_hand() -> None:
    state = replace(SchedulerState(), paused=frozenset({JOB.job_id}))
    assert decide_fire(state, JOB, Fire.at(JOB.job_id, T0), Now(T0, 0), producer=PRODUCER).messages == ()
    manual = decide_command(state, trigger_command(), Facts(job=JOB), Now(T0, 0), PRODUCER)
    assert types(manual) == ["RunQueued", "RunJob"]


# --- 6. force -------------------------------------------------------------------------------------------
def test_force_lifts_the_trading_time_check_only_never_the_overlap_policy() -> None:
    now = Now(T0, 0.0)
    state = fold(
        SchedulerState(),
        decide_fire(SchedulerState(), JOB, Fire.at(JOB.job_id, T0), now, producer=PRODUCER),
        now,
    )
    forced = trigger_command().model_copy(update={"force": True})
    assert types(decide_command(state, forced, Facts(job=JOB), now, PRODUCER)) == ["JobSkipped"]
    alone = decide_command(SchedulerState(), forced, Facts(job=JOB), now, PRODUCER)
    run = alone.messages[1]
    assert isinstance(run, RunJob) and run.force  # the worker's job skips its trading-time check
