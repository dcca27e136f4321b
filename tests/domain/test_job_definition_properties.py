"""Model-based property test of jobs as data: random interleavings of creates, changes (current or stale
versions), deletes, re-creates, redelivered commands, the clock's due instants and their (late) decisions.

The model is the leader as `services/scheduler/office.py` and `job_editing.py` drive the pure parts: the
clock computes instants under the job's definition version of the moment (an edit restarts it from now),
a due batch is decided later (possibly after an edit), and `instants_current` drops a batch computed under
a replaced definition. Asserted: no fire runs twice; no run of an instant computed under a definition
after the event that replaced it; every due instant is accounted for (decided once, or dropped as stale);
definition versions only grow and a redelivered command changes nothing; a re-created id never reuses an
execution id of the deleted incarnation.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from contracts.commands import ChangeJob
from contracts.commands import CreateJob
from contracts.commands import DeleteJob
from contracts.commands import JobPolicy
from contracts.envelope import Command
from contracts.envelope import Message
from contracts.events import JobChanged
from contracts.events import JobCreated
from contracts.events import JobDeleted
from contracts.events import JobMissed
from contracts.events import JobSkipped
from contracts.events import RunQueued
from domain.scheduling.decide import decide_fire
from domain.scheduling.definition_commands import DefinitionFacts
from domain.scheduling.definition_commands import decide_definition
from domain.scheduling.definitions import Definition
from domain.scheduling.definitions import instants_current
from domain.scheduling.fire import Fire
from domain.scheduling.fire import Now
from domain.scheduling.state import SchedulerState
from domain.scheduling.state import evolve
from domain.triggers import parse_trigger
from services.scheduler.job_editing import as_definition
from services.scheduler.job_editing import job_definition_of

JOB = "canary_model"
START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
TRIGGERS = ("interval:10", "interval:15", "*/1 * * * *", "interval:25")
ZONE = UTC


@dataclass
class Batch:
    """Instants the clock delivered under one definition version, not decided yet."""

    version: int
    instants: list[datetime]


@dataclass
class Leader:
    now: datetime = START
    mono: float = 0.0
    state: SchedulerState = field(default_factory=SchedulerState)
    definition: Definition | None = None
    last_version: int = 0
    last_due: datetime | None = None  # the clock's last instant (an edit restarts it from now)
    pending: list[Batch] = field(default_factory=list)
    published: list[Message] = field(default_factory=list)
    last_command: Command | None = None
    due_instants: int = 0
    decided_instants: int = 0
    dropped_instants: int = 0
    runs_by_version: dict[str, int] = field(default_factory=dict)
    incarnation_of_run: dict[str, str | None] = field(default_factory=dict)

    def clock(self) -> Now:
        return Now(wall=self.now, mono=self.mono)

    def command(self, command: Command) -> None:
        self.last_command = command
        assert isinstance(command, CreateJob | ChangeJob | DeleteJob)
        facts = DefinitionFacts(
            current=self.definition,
            last_version=max(self.last_version, self.definition.version if self.definition else 0),
            catalogue=None,
            job_count=1 if self.definition else 0,
            max_jobs=10,
            min_interval_s=10,
            active_runs=tuple(self.state.runs),
        )
        decision = decide_definition(command, facts, self.clock(), "scheduler:model")
        for message in decision.messages:
            self.published.append(message)
            self.state = evolve(self.state, message, self.clock())
            self._apply(message)

    def _apply(self, message: Message) -> None:
        if isinstance(message, JobCreated):
            definition = Definition(
                job_id=JOB,
                job_kind=message.job_kind,
                trigger=message.trigger,
                version=message.job_version,
                origin="created",
                incarnation=message.message_id,
                last_command_id=message.command_id,
            ).with_fields({"kwargs": message.kwargs, "paused": message.paused, "policy": message.policy})
            self._replaced(definition)
        elif isinstance(message, JobChanged):
            assert self.definition is not None
            changed = self.definition.with_fields(
                {name: change.new for name, change in message.changes.items()}
            )
            self._replaced(replace(changed, version=message.job_version, last_command_id=message.command_id))
        elif isinstance(message, JobDeleted):
            self.definition = None
            self.last_version = message.job_version

    def _replaced(self, definition: Definition) -> None:
        assert definition.version > self.last_version, "versions only grow"
        self.definition = definition
        self.last_version = definition.version
        self.last_due = self.now  # the next instant is computed from now: the past is never fired

    def advance(self, seconds: int) -> None:
        """Time passes; the clock delivers the instants due under the current definition."""
        self.now += timedelta(seconds=seconds)
        self.mono += seconds
        definition = self.definition
        if definition is None or definition.paused or self.last_due is None:
            return
        trigger = parse_trigger(definition.trigger).build(ZONE)
        instants: list[datetime] = []
        instant = trigger.next_after(self.last_due)
        while instant is not None and instant <= self.now:
            instants.append(instant)
            instant = trigger.next_after(instant)
        if instants:
            self.last_due = instants[-1]
            self.due_instants += len(instants)
            self.pending.append(Batch(definition.version, instants))

    def decide_oldest(self) -> None:
        """The oldest delivered batch is decided now (after whatever happened since it was due)."""
        if not self.pending:
            return
        batch = self.pending.pop(0)
        definition = self.definition
        if not instants_current(batch.version, definition.version if definition else None):
            self.dropped_instants += len(batch.instants)
            return
        assert definition is not None
        job = job_definition_of(definition, None)
        for instant in batch.instants:
            fire = Fire.at(JOB, instant, incarnation=definition.incarnation)
            decision = decide_fire(self.state, job, fire, self.clock(), producer="scheduler:model")
            self.decided_instants += 1
            for message in decision.messages:
                self.published.append(message)
                self.state = evolve(self.state, message, self.clock())
                if isinstance(message, RunQueued):
                    assert message.execution_id not in self.runs_by_version, "a fire ran twice"
                    self.runs_by_version[message.execution_id] = batch.version
                    self.incarnation_of_run[message.execution_id] = definition.incarnation


ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.sampled_from(TRIGGERS)),
        st.tuples(st.just("change"), st.sampled_from(TRIGGERS)),
        st.tuples(st.just("stale_change"), st.sampled_from(TRIGGERS)),
        st.tuples(st.just("pause"), st.booleans()),
        st.tuples(st.just("delete"), st.booleans()),
        st.tuples(st.just("redeliver"), st.just("")),
        st.tuples(st.just("advance"), st.integers(min_value=1, max_value=90).map(str)),
        st.tuples(st.just("decide"), st.just("")),
    ),
    min_size=1,
    max_size=60,
)


def act(leader: Leader, action: str, value: object) -> None:
    fields = {"producer": "api:model", "actor": "alice", "job_id": JOB}
    definition = leader.definition
    version = definition.version if definition is not None else 0
    if action == "create":
        policy = JobPolicy(overlap="allow", max_concurrent=1000)
        leader.command(CreateJob(**fields, job_kind="pipeline_canary", trigger=str(value), policy=policy))
    elif action in ("change", "stale_change"):
        expected = version if action == "change" else max(version - 1, 0)
        leader.command(ChangeJob(**fields, expected_version=expected, trigger=str(value)))
    elif action == "pause":
        leader.command(ChangeJob(**fields, paused=bool(value)))
    elif action == "delete":
        leader.command(DeleteJob(**fields, cancel_running=bool(value)))
    elif action == "redeliver" and leader.last_command is not None:
        before = list(leader.published)
        leader.command(leader.last_command)
        definitional = (JobCreated, JobChanged, JobDeleted)
        assert not [m for m in leader.published[len(before) :] if isinstance(m, definitional)], (
            "applied twice"
        )
    elif action == "advance":
        leader.advance(int(str(value)))
    elif action == "decide":
        leader.decide_oldest()


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(actions=ACTIONS)
def test_creates_edits_deletes_and_fires_interleaved(actions: list[tuple[str, object]]) -> None:
    leader = Leader()
    for action, value in actions:
        act(leader, action, value)
    while leader.pending:
        leader.decide_oldest()
    outcomes = [m for m in leader.published if isinstance(m, RunQueued | JobSkipped | JobMissed)]
    ids = [m.execution_id for m in outcomes]
    assert len(ids) == len(set(ids)), "an instant with two outcomes"
    assert leader.due_instants == leader.decided_instants + leader.dropped_instants, "a fire unaccounted for"
    # No run under a trigger after the event that replaced it: each run was decided under the version its
    # instant was computed with, and that version was current when it was queued.
    position = {id(message): index for index, message in enumerate(leader.published)}
    replaced_at: dict[int, int] = {}
    for message in leader.published:
        if isinstance(message, JobChanged | JobDeleted | JobCreated):
            replaced_at.setdefault(message.job_version - 1, position[id(message)])
    for message in outcomes:
        if isinstance(message, RunQueued):
            version = leader.runs_by_version[message.execution_id]
            assert position[id(message)] < replaced_at.get(version, len(leader.published)), "fired stale"
    versions = [
        m.job_version for m in leader.published if isinstance(m, JobChanged | JobDeleted | JobCreated)
    ]
    assert versions == sorted(set(versions)), "versions only grow"


def test_a_created_job_carries_its_incarnation_into_execution_ids() -> None:
    first = Fire.at(JOB, START, incarnation="a")
    again = Fire.at(JOB, START, incarnation="b")
    catalogue = Fire.at(JOB, START)
    assert len({first.execution_id, again.execution_id, catalogue.execution_id}) == 3


def test_the_scheduler_definition_round_trips() -> None:
    leader = Leader()
    act(leader, "create", "interval:15")
    assert leader.definition is not None
    job = job_definition_of(leader.definition, None)
    back = as_definition(job, paused=False)
    assert back.fields() == leader.definition.fields() and back.version == 1 and back.origin == "created"


def test_a_batch_due_before_an_edit_is_dropped_and_the_new_trigger_starts_from_now() -> None:
    leader = Leader()
    act(leader, "create", "interval:10")
    act(leader, "advance", "30")
    act(leader, "decide", "")
    runs = [m for m in leader.published if isinstance(m, RunQueued)]
    assert len(runs) == 3
    act(leader, "advance", "20")  # two more instants due, not decided yet
    act(leader, "change", "interval:25")
    act(leader, "decide", "")
    assert (
        leader.dropped_instants == 2 and len([m for m in leader.published if isinstance(m, RunQueued)]) == 3
    )
    act(leader, "advance", "25")
    act(leader, "decide", "")
    late = [m for m in leader.published if isinstance(m, RunQueued)][3:]
    assert [m.scheduled_time for m in late] == [START + timedelta(seconds=75)]
