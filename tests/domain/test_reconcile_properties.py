"""The model-based property test of the decider (`test_scheduling_properties`), with publishes that are not
confirmed in time and the leader's reconciliation with the read model.

An unconfirmed publish of a manual run: the leader folds its decision, the publish raises, the leader forgets
the run (`forgotten`); meanwhile all of its messages, all but its `RunJob`, or none reached the broker. The
command is redelivered later (or never). Workers run only what reached them, each attempt once (claims).

Asserted, with reconciliation passes at random and in the watch's last rounds: no fire is decided twice
(never two runs of one fire), and no run is left behind: every queued run ends within its bound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from contracts.commands import TriggerJob
from contracts.envelope import Message
from contracts.events import JobMissed
from contracts.events import JobSkipped
from contracts.events import RunQueued
from contracts.runs import RunJob
from domain.records import ExecutionRecord
from domain.scheduling.commands import Facts
from domain.scheduling.commands import decide_command
from domain.scheduling.decide import Decision
from domain.scheduling.reconcile import reconciled
from domain.scheduling.state import evolve
from domain.scheduling.state import forgotten
from tests.domain.test_scheduling_properties import WATCH
from tests.domain.test_scheduling_properties import ZONES
from tests.domain.test_scheduling_properties import World
from tests.domain.test_scheduling_properties import world

DECIDED_FIRST = (RunQueued, JobMissed, JobSkipped)  # what the leader folds before its publish is confirmed
REACHED = ("all", "all but the RunJob", "none")

LOSSY_ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                *("advance", "advance", "due", "trigger", "unconfirmed", "unconfirmed", "redeliver"),
                *("redeliver", "start", "start", "beat", "finish", "fail", "tick", "tick", "reconcile"),
                *("restart", "duplicate"),
            ]
        ),
        st.integers(min_value=0, max_value=8),
    ),
    max_size=60,
)


@dataclass
class LossyWorld(World):
    """The model, with unconfirmed publishes, workers fed only by the `RunJob`s that reached the broker, and
    the leader's reconciliation (grace 0: the model delivers everything at once, nothing is in flight)."""

    run_jobs: set[tuple[str, int]] = field(default_factory=set)

    def publish(self, message: Message) -> None:
        if isinstance(message, RunJob):
            self.run_jobs.add((message.execution_id, message.attempt))
        super().publish(message)

    def waiting(self) -> list[str]:
        """The runs a worker can take: queued, their current attempt's `RunJob` at the broker."""
        return [
            eid
            for eid, status in self.status.items()
            if status == "queued" and (eid, self.attempts.get(eid, 1)) in self.run_jobs
        ]

    def unconfirmed(self, n: int) -> None:
        command = TriggerJob(
            producer="api", actor="ops", job_id=self.job.job_id, execution_id=f"u{n}", occurred_at=self.wall
        )
        self.commands.append(command)  # given back: redelivered by a later `redeliver`, or never
        decision = decide_command(
            self.state, command, Facts(job=self.job, record=self.record(command)), self.now(), "s"
        )
        self.carry_out_unconfirmed(decision, REACHED[n % len(REACHED)])

    def record(self, command: TriggerJob) -> ExecutionRecord | None:
        status = self.status.get(command.execution_id)
        if status is None:
            return None
        return ExecutionRecord(
            execution_id=command.execution_id,
            job_id=self.job.job_id,
            job_name="j",
            status=status,
            timestamp=self.wall,
            updated_at=self.wall,
        )

    def carry_out_unconfirmed(self, decision: Decision, reached: str) -> None:
        """As `Desk.publish_folded` when the publish raises: decisions folded, then forgotten."""
        decided = [message for message in decision.messages if isinstance(message, DECIDED_FIRST)]
        for event in decided:
            self.state = evolve(self.state, event, self.now())
        for message in decision.messages:
            if reached == "all" or (reached == "all but the RunJob" and not isinstance(message, RunJob)):
                state = self.state
                self.publish(message)  # reached the broker: projected, and a worker may take it
                self.state = state  # but the leader never saw it confirmed
        for event in decided:
            self.state = forgotten(self.state, event.execution_id)

    def reconcile(self) -> None:
        self.state = reconciled(self.state, self.records(), self.now(), grace_s=0.0).state

    def step(self, action: str, n: int) -> None:
        lossy: dict[str, Callable[[int], None]] = {
            "unconfirmed": self.unconfirmed,
            "reconcile": lambda _: self.reconcile(),
        }
        if action in lossy:
            lossy[action](n)
        else:
            super().step(action, n)


def lossy_world(zone: str) -> LossyWorld:
    base = world(zone, True, "skip")
    return LossyWorld(
        job=base.job, trigger=base.trigger, wall=base.wall, first=base.first, cursor=base.cursor
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zone=st.sampled_from(ZONES), actions=LOSSY_ACTIONS)
def test_no_run_is_left_behind_by_an_unconfirmed_publish(zone: str, actions: list[tuple[str, int]]) -> None:
    w = lossy_world(zone)
    for action, n in actions:
        w.step(action, n)
    # every execution decided at most once: never two runs (or a run and a skip) of one fire
    assert all(len(kinds) == 1 for kinds in w.decisions.values()), w.decisions
    # no run left behind: with the reconciliation in the watch, every queued run ends within its bound
    for _ in range(12):
        w.reconcile()
        w.mono += WATCH.queued_max_wait_s / 4
        w.tick()
    assert [eid for eid, status in w.status.items() if status == "queued"] == []
