"""The decider with a time trigger that waits for upstream jobs (`policy.after`), as properties: a job
firing on the clock after `up_a` and `up_b`, fed any sequence of fires (some whose messages the bus did not
confirm), upstream ends (every status), redeliveries, leader failovers, watch rounds, later publishes and
time jumps (the scheduler's clock is the decider's `Now`).

A `RunWaiting` the bus did not confirm goes first in each later publish of the leader until confirmed
(`Desk.refused_waits`), so the job's next instant (which moves its `next_run_time`) is never confirmed before
it: a new leader finds the fire in the read model or decides its instant again in its catch-up. A fire whose
run or skip the bus did not confirm waits again (`rewaited`); when they got through all the same (a confirm
too late; the leader heard their echo before the publish raised, or after), its record says so before it is
decided again (`reconciled_waits`), and no fire of its job runs on the same successes meanwhile.

- a waiting fire ends exactly once: it runs, or it is skipped (never both, never twice);
- a fire never runs after an upstream whose latest end is a failure, and runs only once for one fire;
- one upstream success runs one fire at most (the next fire waits for the next success);
- an upstream failure while a fire waits skips it at once, naming the upstream execution;
- a fire waits no longer than its timeout: once the clock passed it, a watch round skips it
  (`wait_timeout: <jobs>`); nothing is left waiting past its timeout;
- no waiting fire is lost, its `RunWaiting` confirmed or not: each ends, or still waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck
from hypothesis import example
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from contracts.envelope import ExecutionEvent
from contracts.envelope import Message
from contracts.events import JobFinished
from contracts.events import JobMissed
from contracts.events import JobSkipped
from contracts.events import RunQueued
from contracts.events import RunWaiting
from domain.execution_projection import project_execution
from domain.records import ExecutionRecord
from domain.run_policy import RunPolicy
from domain.scheduling.decide import Decision
from domain.scheduling.decide import decide_fire
from domain.scheduling.fire import Fire
from domain.scheduling.fire import FireOrigin
from domain.scheduling.fire import Now
from domain.scheduling.progress import rebuilt_progress
from domain.scheduling.reconcile import reconciled_waits
from domain.scheduling.state import SchedulerState
from domain.scheduling.state import WaitingRun
from domain.scheduling.state import evolve
from domain.scheduling.state import forgotten
from domain.scheduling.state import loaded
from domain.scheduling.state import rewaited
from domain.scheduling.waiting import WAIT_TIMEOUT_PREFIX
from domain.scheduling.waiting import unannounced
from domain.scheduling.waiting import waiting_decisions
from services.scheduler.definitions import JobDefinition
from tests.domain.scheduling_model import PRODUCER
from tests.domain.scheduling_model import T0

UPSTREAMS = ("up_a", "up_b")
STATUSES = ("success", "success", "partial", "failed", "missed")
ZONE = ZoneInfo("Asia/Shanghai")
TIMEOUT_S = 2 * 3600.0


def gated_job(window: str = "day", overlap: str = "skip") -> JobDefinition:
    return JobDefinition(
        job_id="down",
        name="复盘",
        job_kind="pipeline_canary",
        trigger="0 18 * * 1-5",
        misfire_grace_time=300,
        policy=RunPolicy(
            after=UPSTREAMS,
            wait_timeout_s=TIMEOUT_S,
            window=window,  # type: ignore[arg-type]
            overlap=overlap,  # type: ignore[arg-type]
            max_concurrent=10,
        ),
    )


STEP_METHODS = {
    "fire": "fire",
    "fire_unpublished": "fire_unpublished",
    "failover": "failover",
    "tick": "settle",
    "tick_unpublished": "settle_unpublished",
}
"""The steps without arguments: the `World` method each calls."""


@dataclass
class World:
    """The leader's state, the read model and what became of each fire of the gated job."""

    job: JobDefinition
    now: datetime = T0
    mono: float = 0.0
    state: SchedulerState = field(default_factory=SchedulerState)
    records: dict[str, ExecutionRecord] = field(default_factory=dict)
    delivered: list[Message] = field(default_factory=list)
    latest: dict[str, str] = field(default_factory=dict)  # upstream job -> status of its latest end
    ends: list[tuple[str, str]] = field(default_factory=list)  # (execution of the downstream, how)
    waited: dict[str, datetime] = field(default_factory=dict)  # fires that waited -> wait_until
    failures_while_waiting: list[tuple[str, str]] = field(default_factory=list)
    causes: set[str | None] = field(default_factory=set)  # the upstream ends that ran a fire
    refused_waits: dict[str, RunWaiting] = field(default_factory=dict)  # `RunWaiting` not confirmed yet
    fresh: set[str] = field(default_factory=set)  # upstream jobs whose latest end is a success since a run
    counter: int = 0

    def clock(self) -> Now:
        return Now(self.now, self.mono)

    def fire(self, *, at: datetime | None = None, origin: FireOrigin = "scheduled") -> None:
        """The gated job's fire at `at` (default: now), decided now."""
        self.apply(self.decide_fire(at, origin))

    def decide_fire(self, at: datetime | None = None, origin: FireOrigin = "scheduled") -> Decision:
        fire = Fire.at("down", at or self.now, origin)
        record = self.records.get(fire.execution_id)
        return decide_fire(
            self.state,
            self.job,
            fire,
            self.clock(),
            producer=PRODUCER,
            recorded=record.status if record else None,
            zone=ZONE,
        )

    def fire_unpublished(self) -> None:
        """A fire whose messages the bus did not confirm (broker away), as the leader's desk handles it.

        Its decisions were folded before the publish; a waiting fire stays in the state (`forgotten`
        forgets runs and one-off runs only) and its `RunWaiting` goes first in the next publish.
        """
        decision = self.decide_fire()
        for message in decision.messages:
            if not isinstance(message, ExecutionEvent):
                continue  # a `RunJob` is folded once confirmed only
            self.state = evolve(self.state, message, self.clock())
            self.state = forgotten(self.state, getattr(message, "execution_id", ""))
        first = decision.messages[0] if decision.messages else None
        if isinstance(first, RunWaiting):
            self.waited[first.execution_id] = first.wait_until
            self.refused_waits[first.execution_id] = first

    def publish(self, decided: tuple[Message, ...], *, confirmed: bool = True) -> None:
        """A publish that gets through: the waits not confirmed first, then the decided messages.

        Unless `confirmed` (too late), the waits are still owed.
        """
        for message in (*unannounced(self.state, self.refused_waits), *decided):
            self.record(message)
            if confirmed:
                self.refused_waits.pop(getattr(message, "execution_id", ""), None)

    def upstream_end(self, job_id: str, status: str, heard_first: bool | None = None) -> None:
        """An upstream's end, delivered, and the round it starts.

        Unless `heard_first` is None, that round's publishes are confirmed too late; `heard_first`: whether
        the leader heard their echoes before its publish raised.
        """
        self.counter += 1
        envelope: dict[str, Any] = {
            "producer": "worker",
            "job_id": job_id,
            "execution_id": f"{job_id}-{self.counter}",
            "occurred_at": self.now,
        }
        message: Message
        if status == "missed":
            message = JobMissed(**envelope, job_name=job_id, scheduled_time=self.now, reason="late")
        else:
            message = JobFinished(**envelope, status=status, started_at=self.now, finished_at=self.now)
        if status != "success":  # the fires still waiting (not those put back after their end got through)
            ended = {execution_id for execution_id, _ in self.ends}
            waiting = [key for key in self.state.waiting if key not in ended]
            self.failures_while_waiting += [(key, envelope["execution_id"]) for key in waiting]
        self.latest[job_id] = status
        self.fresh = self.fresh | {job_id} if status == "success" else self.fresh - {job_id}
        self.record(message)
        self.deliver(message, heard_first)

    def deliver(self, message: Message, heard_first: bool | None = None) -> None:
        self.delivered.append(message)
        self.state = evolve(self.state, message, self.clock())
        if heard_first is None:
            self.settle()
        else:
            self.settle_confirmed_too_late(heard_first)

    def settle(self) -> None:
        for _, _run, decision in self.settling():
            self.apply(decision)

    def settling(self) -> list[tuple[str, WaitingRun, Decision]]:
        """A round of `settle_waiting`: the fires put back read their records first; what each becomes."""
        self.state = reconciled_waits(self.state, self.records, self.clock()).state
        jobs = {"down": self.job}
        decided: list[tuple[str, WaitingRun, Decision]] = []
        for execution_id, decision in waiting_decisions(
            self.state, jobs, self.clock(), producer=PRODUCER, zone=ZONE
        ):
            run = self.state.waiting.get(execution_id)
            if run is not None and not run.unconfirmed:
                decided.append((execution_id, run, decision))
        return decided

    def settle_unpublished(self) -> None:
        """A watch round whose runs and skips the bus did not confirm: each fire waits again (`rewaited`)."""
        for execution_id, run, decision in self.settling():
            for message in decision.messages:
                if isinstance(message, ExecutionEvent):
                    self.state = evolve(self.state, message, self.clock())
            self.state = rewaited(forgotten(self.state, execution_id), run)

    def settle_confirmed_too_late(self, heard_first: bool) -> None:
        """A watch round whose runs and skips got through though the bus did not confirm them in time.

        The read model has them (and the runs ran); each fire waits again (`rewaited`). The leader heard
        their echoes (`heard_first`) before its publish raised, when the put-back forgets them, or after.
        """
        for execution_id, run, decision in self.settling():
            for message in decision.messages:
                if isinstance(message, ExecutionEvent):
                    self.state = evolve(self.state, message, self.clock())
            echoes = self.delivered_with(decision, confirmed=False)
            for echo in echoes if heard_first else ():
                self.state = evolve(self.state, echo, self.clock())
            self.state = rewaited(forgotten(self.state, execution_id), run)
            for echo in () if heard_first else echoes:
                self.state = evolve(self.state, echo, self.clock())

    def apply(self, decision: Decision) -> None:
        for message in decision.messages:
            self.state = evolve(self.state, message, self.clock())
        for finished in self.delivered_with(decision)[1:]:
            self.state = evolve(self.state, finished, self.clock())

    def delivered_with(self, decision: Decision, *, confirmed: bool = True) -> list[ExecutionEvent]:
        """The decision's messages delivered (`confirmed` or not); its echoes: its event, its run's end."""
        self.publish(decision.messages, confirmed=confirmed)
        first = decision.messages[0] if decision.messages else None
        if isinstance(first, RunWaiting):
            self.waited[first.execution_id] = first.wait_until
        elif isinstance(first, RunQueued):
            assert all(self.latest.get(up) == "success" for up in UPSTREAMS), "ran after a failed upstream"
            assert first.causation_id not in self.causes, "one upstream success ran two fires"
            assert self.fresh >= set(UPSTREAMS), "one upstream success ran two fires (across leaders)"
            self.fresh = set()
            self.causes.add(first.causation_id)
            self.ends.append((first.execution_id, "ran"))
            finished = JobFinished(
                producer="worker",
                job_id="down",
                execution_id=first.execution_id,
                occurred_at=self.now,
                status="success",
                started_at=self.now,
                finished_at=self.now,
            )
            self.record(finished)
            return [first, finished]
        elif isinstance(first, (JobSkipped, JobMissed)):
            self.ends.append((first.execution_id, first.reason))
        return [first] if isinstance(first, ExecutionEvent) else []

    def record(self, message: Message) -> None:
        """The read model, as the projector builds it from the same events.

        Its registers outlive a status: a released fire keeps `waiting_for` and gets `started_at` from its
        end, which is how a new leader's `rebuilt_progress` knows it ran after the successes it used up.
        """
        if not isinstance(message, ExecutionEvent):
            return
        projected = project_execution(self.records.get(message.execution_id), message)
        assert isinstance(projected, ExecutionRecord)
        self.records[message.execution_id] = projected

    def step(self, kind: str, first: Any, second: Any) -> None:
        self.now += timedelta(seconds=1)
        self.mono += 1
        if kind == "end":
            self.upstream_end(first, second)
        elif kind == "end_confirmed_too_late":
            self.upstream_end(first, *second)
        elif kind == "redeliver" and self.delivered:
            self.deliver(self.delivered[first % len(self.delivered)])
        elif kind == "tick_confirmed_too_late":
            self.settle_confirmed_too_late(heard_first=bool(first))
        elif kind == "publish":  # a later publish (the retry a second after, a watch round's)
            self.publish(())
        elif kind == "wait":
            self.now += timedelta(seconds=first)
        elif kind in STEP_METHODS:
            getattr(self, STEP_METHODS[kind])()

    def failover(self) -> None:
        """A new leader: unfinished runs, waiting fires and the progress from the read model, then settle.

        Its catch-up decides again the instants of the waits never confirmed: the job's `next_run_time`
        was not moved past them (nothing after them was confirmed). Within the grace time they are decided
        as scheduled, beyond it they are missed (`downtime_fires`).
        """
        by_job: dict[str, list[ExecutionRecord]] = {}
        for record in self.records.values():
            by_job.setdefault(record.job_id, []).append(record)
        state = loaded(list(self.records.values()), (), self.clock())
        self.state = replace(state, progress=rebuilt_progress(by_job))
        owed, self.refused_waits = self.refused_waits, {}
        for wait in sorted(owed.values(), key=lambda wait: wait.scheduled_time):
            late = (self.now - wait.scheduled_time).total_seconds() > self.job.misfire_grace_time
            self.fire(at=wait.scheduled_time, origin="downtime" if late else "scheduled")
        self.settle()


step = st.one_of(
    st.tuples(st.just("end"), st.sampled_from(UPSTREAMS), st.sampled_from(STATUSES)),
    st.tuples(
        st.just("end_confirmed_too_late"),
        st.sampled_from(UPSTREAMS),
        st.tuples(st.sampled_from(STATUSES), st.booleans()),
    ),
    st.tuples(st.just("fire"), st.just(""), st.just("")),
    st.tuples(st.just("fire_unpublished"), st.just(""), st.just("")),
    st.tuples(st.just("redeliver"), st.integers(0, 50), st.just("")),
    st.tuples(st.just("failover"), st.just(""), st.just("")),
    st.tuples(st.just("tick"), st.just(""), st.just("")),
    st.tuples(st.just("tick_unpublished"), st.just(""), st.just("")),
    st.tuples(st.just("tick_confirmed_too_late"), st.booleans(), st.just("")),
    st.tuples(st.just("publish"), st.just(""), st.just("")),
    st.tuples(st.just("wait"), st.sampled_from((60, 3600, 3 * 3600, 86_400)), st.just("")),
)


RELEASED_THEN_TWO_LEADERS = [
    ("fire", "", ""),
    ("fire", "", ""),
    ("fire", "", ""),
    ("end", "up_a", "success"),
    ("end", "up_b", "success"),
    ("failover", "", ""),
    ("failover", "", ""),
]
"""Three fires wait, one success of each upstream runs the oldest; each new leader must see it used up."""

RELEASED_UNANNOUNCED_THEN_A_NEW_LEADER = [
    ("fire_unpublished", "", ""),
    ("end", "up_a", "success"),
    ("end", "up_b", "success"),
    ("fire", "", ""),
    ("failover", "", ""),
]
"""A fire whose `RunWaiting` was lost runs on the successes; a new leader must see them used up."""

REFUSED_WAIT_THEN_A_LATER_FIRE_THEN_A_NEW_LEADER = [
    ("fire_unpublished", "", ""),
    ("fire", "", ""),
    ("failover", "", ""),
]
"""A fire's `RunWaiting` refused, a later fire confirmed, then a new leader: the fire is not lost."""

REFUSED_RELEASE_THEN_A_NEW_LEADER = [
    ("fire_unpublished", "", ""),
    ("end", "up_a", "success"),
    ("wait", 3 * 3600, ""),
    ("tick_unpublished", "", ""),
    ("failover", "", ""),
]
"""A wait refused, then its skip (timed out) refused too: it waits again and a new leader decides it."""

SKIP_THROUGH_THEN_A_SUCCESS = [
    ("fire", "", ""),
    ("end", "up_a", "success"),
    ("wait", 3 * 3600, ""),
    ("tick_confirmed_too_late", True, ""),
    ("end", "up_b", "success"),
]
"""A timed-out fire's skip got through unconfirmed, its echo heard first: the next success must not run it."""

RUN_THROUGH_THEN_A_FAILURE = [
    ("fire", "", ""),
    ("end", "up_a", "success"),
    ("end_confirmed_too_late", "up_b", ("success", True)),
    ("end", "up_a", "failed"),
]
"""A fire's run got through unconfirmed, its echo and end heard first: the next failure must not skip it."""

RUN_THROUGH_HEARD_AFTER_THEN_A_ROUND = [
    ("fire", "", ""),
    ("fire", "", ""),
    ("end", "up_a", "success"),
    ("end_confirmed_too_late", "up_b", ("success", False)),
    ("tick", "", ""),
]
"""A run that got through unconfirmed, its echo heard after: it used the successes up for the next fire."""

RUN_THROUGH_THEN_A_NEW_FIRE = [
    ("fire", "", ""),
    ("end", "up_a", "success"),
    ("end_confirmed_too_late", "up_b", ("success", True)),
    ("fire", "", ""),
]
"""A run that got through unconfirmed, its echo heard first: a new fire before its record is read waits."""


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(steps=RELEASED_THEN_TWO_LEADERS, window="day", overlap="allow")
@example(steps=RELEASED_UNANNOUNCED_THEN_A_NEW_LEADER, window="day", overlap="skip")
@example(steps=REFUSED_WAIT_THEN_A_LATER_FIRE_THEN_A_NEW_LEADER, window="day", overlap="allow")
@example(steps=REFUSED_RELEASE_THEN_A_NEW_LEADER, window="day", overlap="skip")
@example(steps=SKIP_THROUGH_THEN_A_SUCCESS, window="day", overlap="skip")
@example(steps=RUN_THROUGH_THEN_A_FAILURE, window="day", overlap="allow")
@example(steps=RUN_THROUGH_HEARD_AFTER_THEN_A_ROUND, window="rolling", overlap="allow")
@example(steps=RUN_THROUGH_THEN_A_NEW_FIRE, window="day", overlap="allow")
@given(
    steps=st.lists(step, max_size=40),
    window=st.sampled_from(("day", "rolling")),
    overlap=st.sampled_from(("skip", "allow")),
)
def test_a_waiting_fire_ends_exactly_once_and_never_after_a_failed_upstream(
    steps: list[tuple[str, Any, Any]], window: str, overlap: str
) -> None:
    world = World(gated_job(window, overlap))
    for kind, first, second in steps:
        world.step(kind, first, second)
    world.settle()  # a last watch round

    ended = [execution_id for execution_id, _ in world.ends]
    assert len(ended) == len(set(ended)), "a fire ended twice (ran twice, or ran and was skipped)"
    how = dict(world.ends)
    for execution_id, wait_until in world.waited.items():
        if execution_id in world.state.waiting:
            assert world.now < wait_until, "a fire left waiting past its timeout"
        else:
            assert execution_id in how, "a waiting fire vanished without running or being skipped"
        if how.get(execution_id, "").startswith(WAIT_TIMEOUT_PREFIX):
            assert world.now >= wait_until
    for execution_id, upstream_execution in world.failures_while_waiting:
        reason = how.get(execution_id, "")
        assert reason.startswith("upstream_failed: "), (
            f"{upstream_execution} failed while it waited: {reason}"
        )


def test_a_fire_runs_at_once_when_its_upstreams_succeeded_today() -> None:
    world = World(gated_job())
    world.upstream_end("up_a", "success")
    world.upstream_end("up_b", "success")
    world.now += timedelta(minutes=30)
    world.fire()
    assert [how for _, how in world.ends] == ["ran"] and not world.waited


def test_a_fire_waits_then_runs_when_the_last_upstream_succeeds_caused_by_it() -> None:
    world = World(gated_job())
    world.upstream_end("up_a", "success")
    world.fire()
    (waiting,) = world.state.waiting.values()
    assert waiting.waiting_for == ("up_b",) and world.records[waiting.execution_id].status == "waiting"
    assert waiting.wait_until == world.now + timedelta(seconds=TIMEOUT_S)
    world.now += timedelta(minutes=10)
    world.upstream_end("up_b", "success")
    assert world.ends == [(waiting.execution_id, "ran")] and not world.state.waiting
    queued = next(m for m in reversed(world.records.values()) if m.execution_id == waiting.execution_id)
    assert queued.status == "success"


def test_a_waiting_fire_is_skipped_at_once_when_an_upstream_fails() -> None:
    world = World(gated_job())
    world.fire()
    (waiting,) = world.state.waiting.values()
    world.upstream_end("up_b", "failed")
    assert world.ends == [(waiting.execution_id, "upstream_failed: up_b up_b-1")]


def test_a_waiting_fire_times_out_on_the_schedulers_clock_naming_what_it_waited_for() -> None:
    world = World(gated_job())
    world.upstream_end("up_a", "success")
    world.fire()
    world.now += timedelta(seconds=TIMEOUT_S - 1)
    world.settle()
    assert world.ends == []
    world.failover()  # a new leader keeps waiting, from the read model
    assert len(world.state.waiting) == 1
    world.now += timedelta(seconds=1)
    world.settle()
    assert [how for _, how in world.ends] == ["wait_timeout: up_b"]


def test_the_day_window_counts_only_successes_of_the_fires_local_day() -> None:
    world = World(gated_job("day"))
    # 2026-03-02 15:59 UTC is 23:59 in Shanghai; the fire at 16:01 UTC is the next local day.
    world.now = datetime(2026, 3, 2, 15, 59, tzinfo=T0.tzinfo)
    world.upstream_end("up_a", "success")
    world.upstream_end("up_b", "success")
    world.now += timedelta(minutes=2)
    world.fire()
    assert world.ends == [] and len(world.state.waiting) == 1
    rolling = World(gated_job("rolling"), now=datetime(2026, 3, 2, 15, 59, tzinfo=T0.tzinfo))
    rolling.upstream_end("up_a", "success")
    rolling.upstream_end("up_b", "success")
    rolling.now += timedelta(minutes=2)
    rolling.fire()
    assert [how for _, how in rolling.ends] == ["ran"]


def test_a_manual_run_does_not_wait() -> None:
    world = World(gated_job())
    fire = replace(Fire.at("down", world.now), origin="manual")
    decision = decide_fire(world.state, world.job, fire, world.clock(), producer=PRODUCER, zone=ZONE)
    assert isinstance(decision.messages[0], RunQueued)


def test_the_successes_that_released_a_fire_do_not_run_the_next_one() -> None:
    world = World(gated_job())
    world.fire()
    world.now += timedelta(minutes=1)
    world.upstream_end("up_a", "success")
    world.upstream_end("up_b", "success")
    assert [how for _, how in world.ends] == ["ran"]
    world.now += timedelta(minutes=1)
    world.fire()
    assert len(world.ends) == 1 and len(world.state.waiting) == 1


def test_a_fire_released_after_its_wait_was_never_published_uses_up_its_successes_for_a_new_leader() -> None:
    """The `RunWaiting` was lost (the bus away), the state kept the fire and released it on the successes.

    Its record starts at the `RunQueued` (no `waiting_for`): a new leader dates the run when it was sent,
    not at its fire, so a later fire waiting on the same successes waits on.
    """
    world = World(gated_job())
    world.fire_unpublished()
    (waiting,) = world.state.waiting.values()
    assert waiting.execution_id not in world.records
    world.now += timedelta(minutes=10)
    world.upstream_end("up_a", "success")
    world.upstream_end("up_b", "success")
    assert world.ends == [(waiting.execution_id, "ran")]
    assert world.records[waiting.execution_id].waiting_for is None
    world.now += timedelta(minutes=10)
    world.fire()
    assert len(world.state.waiting) == 1
    world.now += timedelta(minutes=1)
    world.failover()  # "one upstream success ran two fires" if the run were dated at its fire
    assert len(world.ends) == 1 and len(world.state.waiting) == 1


def test_a_late_fire_that_ran_at_once_uses_up_the_successes_after_its_instant_for_a_new_leader() -> None:
    """A catch-up fire decided after its instant runs on successes that ended after that instant.

    A new leader dates the run when it was sent (its record's first event), as the live leader does.
    """
    world = World(gated_job())
    instant = world.now
    world.now += timedelta(minutes=10)
    world.upstream_end("up_a", "success")
    world.upstream_end("up_b", "success")
    world.now += timedelta(minutes=10)
    world.fire(at=instant, origin="catch_up")
    assert [how for _, how in world.ends] == ["ran"]
    world.now += timedelta(minutes=10)
    world.fire()
    assert len(world.state.waiting) == 1
    world.failover()
    assert len(world.ends) == 1 and len(world.state.waiting) == 1
