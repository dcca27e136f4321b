"""The decider with dependencies, as properties: a downstream job `after:up_a,up_b` fed any sequence of
upstream ends (every status, manual and scheduled alike), redeliveries, leader failovers and time jumps.

- it never runs twice for the same upstream executions, nor after an upstream whose latest end is a failure;
- every failed upstream end is accounted for by exactly one `skipped` downstream execution naming it;
- nothing is left undecided: at the end, a run the progress calls for exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from contracts.envelope import Message
from contracts.events import JobFinished
from contracts.events import JobMissed
from contracts.events import RunQueued
from contracts.runs import RunJob
from domain.records import ExecutionRecord
from domain.run_policy import RunPolicy
from domain.scheduling.decide import decide_fire
from domain.scheduling.dependencies import Downstream
from domain.scheduling.dependencies import fires_after
from domain.scheduling.dependencies import pending_fires
from domain.scheduling.dependencies import ready_fire
from domain.scheduling.fire import Fire
from domain.scheduling.fire import Now
from domain.scheduling.progress import UPSTREAM_REASON_PREFIX
from domain.scheduling.progress import end_of
from domain.scheduling.progress import rebuilt_progress
from domain.scheduling.state import SchedulerState
from domain.scheduling.state import evolve
from domain.scheduling.state import loaded
from services.scheduler.definitions import JobDefinition
from tests.domain.scheduling_model import PRODUCER
from tests.domain.scheduling_model import T0

UPSTREAMS = ("up_a", "up_b")
STATUSES = ("success", "partial", "failed", "cancelled", "missed")


def downstream_job(accept_partial: bool) -> JobDefinition:
    return JobDefinition(
        job_id="down",
        name="下游",
        job_kind="pipeline_canary",
        trigger="after:up_a,up_b",
        policy=RunPolicy(accept_partial=accept_partial),
    )


@dataclass
class World:
    """The leader's state, the read model (records) and what happened, for one downstream job."""

    job: JobDefinition
    now: datetime = T0
    mono: float = 0.0
    state: SchedulerState = field(default_factory=SchedulerState)
    records: dict[str, ExecutionRecord] = field(default_factory=dict)
    delivered: list[Message] = field(default_factory=list)
    runs: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # (execution, upstream ends)
    skips: list[str] = field(default_factory=list)
    counter: int = 0

    @property
    def downstreams(self) -> dict[str, Downstream]:
        return {"down": Downstream("down", UPSTREAMS, self.job.policy)}

    def clock(self) -> Now:
        return Now(self.now, self.mono)

    def upstream_end(self, job_id: str, status: str) -> None:
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
        self.record(message)
        self.deliver(message)

    def deliver(self, message: Message) -> None:
        self.delivered.append(message)
        self.state = evolve(self.state, message, self.clock())
        ended = end_of(message)
        if ended is not None:
            self.decide(fires_after(self.state, self.downstreams, ended[0], self.now))

    def decide(self, fires: list[Fire]) -> None:
        for fire in fires:
            record = self.records.get(fire.execution_id)
            recorded = record.status if record else None
            now = self.clock()
            decision = decide_fire(self.state, self.job, fire, now, producer=PRODUCER, recorded=recorded)
            for message in decision.messages:
                self.state = evolve(self.state, message, self.clock())
                self.record(message)
            if any(isinstance(message, RunQueued) for message in decision.messages):
                ends = tuple(self.state.progress.ends[up].execution_id for up in UPSTREAMS)
                self.runs.append((fire.execution_id, ends))
                finished = JobFinished(
                    producer="worker",
                    job_id="down",
                    execution_id=fire.execution_id,
                    status="success",
                    started_at=self.now,
                    finished_at=self.now,
                )
                self.state = evolve(self.state, finished, self.clock())
                self.record(finished)
            elif decision.messages:
                self.skips.append(decision.messages[0].reason)  # type: ignore[attr-defined]

    def record(self, message: Message) -> None:
        if isinstance(message, RunJob):
            return
        execution_id: str = message.execution_id  # type: ignore[attr-defined]
        status = {"RunQueued": "queued", "JobMissed": "missed", "JobSkipped": "skipped"}.get(
            message.type, getattr(message, "status", None)
        )
        known = self.records.get(execution_id)
        terminal = status not in ("queued", None)
        self.records[execution_id] = ExecutionRecord(
            execution_id=execution_id,
            job_id=message.job_id,  # type: ignore[attr-defined]
            job_name="j",
            status=status or "queued",
            scheduled_time=getattr(message, "scheduled_time", None)
            or (known and known.scheduled_time)
            or self.now,
            timestamp=self.now,
            updated_at=self.now,
            finished_at=getattr(message, "finished_at", None) or (message.occurred_at if terminal else None),
            error_message=getattr(message, "reason", None),
        )

    def failover(self) -> None:
        """A new leader: unfinished runs and the progress from the read model, then what it calls for."""
        by_job: dict[str, list[ExecutionRecord]] = {}
        for record in self.records.values():
            by_job.setdefault(record.job_id, []).append(record)
        state = loaded(list(self.records.values()), (), self.clock())
        self.state = replace(state, progress=rebuilt_progress(by_job))
        self.decide(pending_fires(self.state, self.downstreams, self.now))


step = st.one_of(
    st.tuples(st.just("end"), st.sampled_from(UPSTREAMS), st.sampled_from(STATUSES)),
    st.tuples(st.just("redeliver"), st.integers(0, 50), st.just("")),
    st.tuples(st.just("failover"), st.just(""), st.just("")),
    st.tuples(st.just("wait"), st.sampled_from((60, 3600, 2 * 86_400)), st.just("")),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(step, max_size=40), accept_partial=st.booleans())
def test_a_downstream_runs_once_per_upstream_successes_and_accounts_for_every_failure(
    steps: list[tuple[str, Any, Any]], accept_partial: bool
) -> None:
    world = World(downstream_job(accept_partial))
    accepted = {"success", "partial"} if accept_partial else {"success"}
    ends: dict[str, tuple[str, str, datetime]] = {}  # upstream execution -> (job, status, at)
    for kind, first, second in steps:
        world.now += timedelta(seconds=1)
        world.mono += 1
        if kind == "end":
            world.upstream_end(first, second)
            ends[f"{first}-{world.counter}"] = (first, second, world.now)
        elif kind == "redeliver" and world.delivered:
            world.deliver(world.delivered[first % len(world.delivered)])
        elif kind == "failover":
            world.failover()
        elif kind == "wait":
            world.now += timedelta(seconds=first)

    run_ids = [execution_id for execution_id, _ in world.runs]
    assert len(run_ids) == len(set(run_ids)), "a downstream execution ran twice"
    consumed = [end for _, upstream_ends in world.runs for end in upstream_ends]
    assert len(consumed) == len(set(consumed)), "one upstream execution caused two downstream runs"
    for _, upstream_ends in world.runs:
        assert all(ends[end][1] in accepted for end in upstream_ends), "ran after a failed upstream"
    failures = [
        f"{UPSTREAM_REASON_PREFIX}{job} {execution_id}"
        for execution_id, (job, status, _) in ends.items()
        if status not in accepted
    ]
    assert sorted(world.skips) == sorted(failures), "a failed upstream end not accounted for exactly once"
    assert ready_fire(world.state, world.downstreams["down"], world.now) is None, "a run left undecided"


def test_both_upstreams_succeed_then_the_downstream_runs_caused_by_the_last() -> None:
    world = World(downstream_job(False))
    world.upstream_end("up_a", "success")
    assert world.runs == []
    world.now += timedelta(seconds=5)
    world.upstream_end("up_b", "success")
    assert [ends for _, ends in world.runs] == [("up_a-1", "up_b-2")]
    queued = [record for record in world.records.values() if record.job_id == "down"]
    assert len(queued) == 1 and queued[0].scheduled_time == world.now
    world.upstream_end("up_b", "success")  # up_a has not succeeded again since: no run
    assert len(world.runs) == 1


def test_a_run_carries_the_upstream_end_as_its_cause() -> None:
    world = World(downstream_job(False))
    world.upstream_end("up_a", "success")
    world.now += timedelta(seconds=1)
    world.upstream_end("up_b", "success")
    last = world.delivered[-1]
    fire = ready_fire(
        replace(world.state, progress=replace(world.state.progress, last_runs={})),
        world.downstreams["down"],
        world.now,
    )
    assert fire is not None
    decision = decide_fire(SchedulerState(), world.job, fire, world.clock(), producer=PRODUCER)
    queued = decision.messages[0]
    assert isinstance(queued, RunQueued)
    assert (queued.causation_id, queued.correlation_id) == (last.message_id, last.correlation_id)


def test_an_upstream_failure_is_skipped_with_the_reason_and_a_paused_downstream_records_nothing() -> None:
    world = World(downstream_job(False))
    world.upstream_end("up_a", "failed")
    assert world.skips == ["upstream_failed: up_a up_a-1"]
    world.state = replace(world.state, paused=frozenset({"down"}))
    world.upstream_end("up_a", "failed")
    assert len(world.skips) == 1
