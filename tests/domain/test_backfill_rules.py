"""Backfills in the decider, as properties over generated histories: never two runs of one day, never more
than `max_parallel` (nor more than the overlap policy allows) in flight, nothing started after a cancel,
every day accounted for once the backfill finishes; redeliveries and a leader rebuilt from the read model
change none of it. And the rules of a request, and the read model's record in any event order."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import timedelta
from itertools import permutations

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from contracts.commands import CancelBackfill
from contracts.commands import RequestBackfill
from contracts.envelope import Message
from contracts.events import BackfillCancelled
from contracts.events import BackfillFinished
from contracts.events import BackfillRequested
from contracts.events import CommandRejected
from contracts.events import JobFinished
from contracts.events import QueuedRunCancelled
from contracts.events import RunQueued
from contracts.events import backfill_execution_id
from contracts.events import backfill_of
from domain.backfill_projection import project_backfill
from domain.catalogue_projection import history_entry
from domain.records import BackfillRecord
from domain.run_policy import RunPolicy
from domain.scheduling.backfill_commands import BackfillLimits
from domain.scheduling.backfill_commands import decide_cancel
from domain.scheduling.backfill_commands import decide_request
from domain.scheduling.backfills import BackfillBook
from domain.scheduling.backfills import backfill_step
from domain.scheduling.backfills import day_kwargs
from domain.scheduling.backfills import fold_backfills
from domain.scheduling.decide import decide_fire
from domain.scheduling.fire import Now
from domain.scheduling.state import SchedulerState
from domain.scheduling.state import evolve
from services.scheduler.backfill_runner import book_of
from services.scheduler.definitions import JobDefinition
from tests.domain.scheduling_model import JOB
from tests.domain.scheduling_model import PRODUCER
from tests.domain.scheduling_model import T0

BACKFILL_ID = "bf" + "1" * 32
LIMITS = BackfillLimits(max_active=2, max_parallel=8)
ALL_DAYS = tuple(f"2024-01-{day:02d}" for day in range(2, 31))
NOW = Now(T0, 0.0)


def request(days: tuple[str, ...], max_parallel: int = 2, backfill_id: str = BACKFILL_ID) -> RequestBackfill:
    return RequestBackfill(
        producer="api",
        actor="ops",
        job_id=JOB.job_id,
        backfill_id=backfill_id,
        start_date=days[0],
        end_date=days[-1],
        days=days,
        max_parallel=max_parallel,
        kwargs={"duration_s": 0},
    )


@dataclass
class Leader:
    """The leader's state and book, the messages it published, and the executions the store knows."""

    job: JobDefinition
    state: SchedulerState = field(default_factory=SchedulerState)
    book: BackfillBook = field(default_factory=BackfillBook)
    log: list[Message] = field(default_factory=list)
    started_after_cancel: int = 0
    widest: int = 0

    def fold(self, message: Message) -> None:
        self.state = evolve(self.state, message, NOW)
        self.book = fold_backfills(self.book, message)

    def publish(self, messages: tuple[Message, ...]) -> None:
        for message in messages:
            if isinstance(message, RunQueued) and self._cancelled():
                self.started_after_cancel += 1
            self.log.append(message)
            self.fold(message)
        self.widest = max(self.widest, self.in_flight())

    def _cancelled(self) -> bool:
        return any(isinstance(message, BackfillCancelled) for message in self.log)

    def in_flight(self) -> int:
        return sum(1 for key in self.state.runs if backfill_of(key) is not None)

    def recorded(self, execution_id: str) -> str | None:
        queued = any(isinstance(m, RunQueued) and m.execution_id == execution_id for m in self.log)
        return "queued" if queued else None

    def step(self) -> None:
        for backfill in list(self.book.active.values()):
            step = backfill_step(backfill, self.state, self.job, NOW, PRODUCER)
            for fire in step.fires:
                recorded = self.recorded(fire.execution_id)
                self.publish(
                    decide_fire(
                        self.state, self.job, fire, NOW, producer=PRODUCER, recorded=recorded
                    ).messages
                )
            for execution_id in step.to_cancel:
                self.end(execution_id, "cancelled")
            if step.finished is not None:
                self.publish((step.finished,))

    def end(self, execution_id: str, status: str) -> None:
        if status == "cancelled":
            ending: Message = QueuedRunCancelled(
                producer=PRODUCER, job_id=self.job.job_id, execution_id=execution_id, actor="ops"
            )
        else:
            ending = JobFinished(
                producer="worker",
                job_id=self.job.job_id,
                execution_id=execution_id,
                status=status,
                started_at=T0,
                finished_at=T0 + timedelta(seconds=1),
                sequence=2,
            )
        self.publish((ending,))

    def rebuilt(self) -> Leader:
        """A new leader: its book from the read model the log projects, its runs from the log."""
        record: BackfillRecord | None = None
        for message in self.log:
            if isinstance(
                message,
                (
                    BackfillRequested,
                    BackfillCancelled,
                    BackfillFinished,
                    RunQueued,
                    JobFinished,
                    QueuedRunCancelled,
                ),
            ):
                record = project_backfill(record, message)
        successor = replace(self, state=SchedulerState(), book=BackfillBook())
        for message in self.log:
            successor.state = evolve(successor.state, message, NOW)
        if record is not None and record.finished_at is None:
            successor.book = book_of([record])
        elif record is not None:
            successor.book = BackfillBook(finished=(record.backfill_id,))
        return successor


ACTIONS = st.lists(
    st.one_of(
        st.just(("step",)),
        st.tuples(st.just("end"), st.integers(0, 30), st.sampled_from(["success", "failed", "partial"])),
        st.just(("cancel",)),
        st.tuples(st.just("redeliver"), st.integers(0, 200)),
        st.just(("restart",)),
    ),
    max_size=60,
)
POLICIES = st.one_of(
    st.just(RunPolicy(overlap="skip")),
    st.integers(1, 5).map(lambda n: RunPolicy(overlap="allow", max_concurrent=n)),
)


def act(leader: Leader, action: tuple[object, ...]) -> Leader:
    match action:
        case ("step",):
            leader.step()
        case ("end", int(index), str(status)):
            running = [key for key in leader.state.runs if backfill_of(key) is not None]
            if running:
                leader.end(running[index % len(running)], status)
        case ("cancel",):
            command = CancelBackfill(
                producer="api", actor="ops", job_id=leader.job.job_id, backfill_id=BACKFILL_ID
            )
            leader.publish(decide_cancel(leader.book, command, NOW, PRODUCER).messages)
        case ("redeliver", int(index)) if leader.log:
            leader.fold(leader.log[index % len(leader.log)])
        case ("restart",):
            return leader.rebuilt()
    return leader


def drained(leader: Leader) -> Leader:
    for _ in range(200):
        if not leader.book.active:
            break
        leader.step()
        for key in [key for key in leader.state.runs if backfill_of(key) is not None]:
            leader.end(key, "success")
    return leader


@settings(max_examples=150, deadline=None)
@given(
    days=st.integers(1, 12),
    max_parallel=st.integers(1, 4),
    policy=POLICIES,
    actions=ACTIONS,
)
def test_every_day_runs_once_within_its_bounds_and_is_accounted_for(
    days: int, max_parallel: int, policy: RunPolicy, actions: list[tuple[object, ...]]
) -> None:
    job = replace(JOB, policy=policy)
    leader = Leader(job=job)
    wanted = request(ALL_DAYS[:days], max_parallel)
    leader.publish(decide_request(leader.book, wanted, job, LIMITS, NOW, PRODUCER).messages)
    for action in actions:
        leader = act(leader, action)
    leader = drained(leader)
    queued = Counter(m.execution_id for m in leader.log if isinstance(m, RunQueued))
    assert all(count == 1 for count in queued.values()), queued
    bound = 1 if policy.overlap == "skip" else min(max_parallel, policy.max_concurrent)
    assert leader.widest <= min(max_parallel, bound)
    assert leader.started_after_cancel == 0
    finishes = [m for m in leader.log if isinstance(m, BackfillFinished)]
    assert len(finishes) == 1
    (finish,) = finishes
    assert finish.done + finish.failed + finish.cancelled == days
    cancelled = any(isinstance(m, BackfillCancelled) for m in leader.log)
    assert finish.was_cancelled == cancelled
    if not cancelled:
        assert set(queued) == {backfill_execution_id(BACKFILL_ID, day) for day in ALL_DAYS[:days]}
    for message in leader.log:
        if isinstance(message, RunQueued):
            day = backfill_of(message.execution_id)
            assert day is not None and message.kwargs["trade_date"] == day[1]


def test_days_start_oldest_first() -> None:
    leader = Leader(job=replace(JOB, policy=RunPolicy(overlap="allow", max_concurrent=10)))
    leader.publish(
        decide_request(leader.book, request(ALL_DAYS[:5], 2), leader.job, LIMITS, NOW, PRODUCER).messages
    )
    leader.step()
    leader.step()  # nothing more while two run
    started = [m.execution_id for m in leader.log if isinstance(m, RunQueued)]
    assert started == [backfill_execution_id(BACKFILL_ID, day) for day in ALL_DAYS[:2]]


def test_a_redelivered_request_makes_one_backfill() -> None:
    leader = Leader(job=JOB)
    command = request(ALL_DAYS[:3])
    leader.publish(decide_request(leader.book, command, JOB, LIMITS, NOW, PRODUCER).messages)
    again = decide_request(leader.book, command, JOB, LIMITS, NOW, PRODUCER)
    assert again.messages == () and again.rejection is None
    assert decide_request(BackfillBook(), command, JOB, LIMITS, NOW, PRODUCER, recorded=True).messages == ()


def test_a_request_is_refused_with_its_reason() -> None:
    def refusal(
        command: RequestBackfill, book: BackfillBook | None = None, job: JobDefinition | None = JOB
    ) -> str:
        decision = decide_request(book or BackfillBook(), command, job, LIMITS, NOW, PRODUCER)
        assert decision.rejection is not None and isinstance(decision.messages[0], CommandRejected)
        return decision.rejection

    assert "does not take a date range" in refusal(
        request(ALL_DAYS[:2]), job=replace(JOB, job_kind="news_sync")
    )
    assert "oldest first" in refusal(
        request(("2024-01-03", "2024-01-02")).model_copy(
            update={"start_date": "2024-01-02", "end_date": "2024-01-03"}
        )
    )
    assert "max_parallel 9" in refusal(request(ALL_DAYS[:2], 9))
    assert "unknown job" in refusal(request(ALL_DAYS[:2]), job=None)
    full = BackfillBook()
    for number in range(LIMITS.max_active):
        other = request(ALL_DAYS[:2], backfill_id="bf" + f"{number:032d}")
        full = fold_backfills(full, decide_request(full, other, JOB, LIMITS, NOW, PRODUCER).messages[0])
    assert "limit is 2" in refusal(request(ALL_DAYS[:2]), full)


def test_each_kind_gets_its_day_the_way_it_declares() -> None:
    assert day_kwargs("pipeline_canary", "2024-01-02") == {"trade_date": "2024-01-02"}
    assert day_kwargs("market_daily_review", "2024-01-02") == {"trade_date": "2024-01-02"}
    one_day = {"start_date": "2024-01-02", "end_date": "2024-01-02"}  # that one day, not up to today
    assert day_kwargs("tushare_historical_sync", "2024-01-02") == one_day
    assert day_kwargs("news_sync", "2024-01-02") == {}


def test_the_record_is_the_same_in_any_order_of_its_events() -> None:
    days = ALL_DAYS[:2]
    first, second = (backfill_execution_id(BACKFILL_ID, day) for day in days)
    requested = decide_request(BackfillBook(), request(days), JOB, LIMITS, NOW, PRODUCER).messages[0]
    runs: list[Message] = [
        RunQueued(producer=PRODUCER, job_id=JOB.job_id, execution_id=first, job_name="x", scheduled_time=T0),
        JobFinished(
            producer="w",
            job_id=JOB.job_id,
            execution_id=first,
            status="success",
            started_at=T0,
            finished_at=T0,
            sequence=2,
        ),
        RunQueued(producer=PRODUCER, job_id=JOB.job_id, execution_id=second, job_name="x", scheduled_time=T0),
    ]
    records = set()
    for order in permutations(runs):
        record = None
        for message in (requested, *order):
            record = project_backfill(record, message)  # type: ignore[arg-type]
        assert record is not None
        records.add(record.model_dump_json())
    (shown,) = records
    assert BackfillRecord.model_validate_json(shown).runs == {days[0]: "success", days[1]: "queued"}


def test_the_history_has_one_line_per_backfill_not_one_per_day() -> None:
    requested = decide_request(BackfillBook(), request(ALL_DAYS[:3]), JOB, LIMITS, NOW, PRODUCER).messages[0]
    assert isinstance(requested, BackfillRequested)
    line = history_entry(requested)
    assert line is not None and line.action == "backfill" and line.actor == "ops"
    assert line.details == {
        "backfill_id": BACKFILL_ID,
        "start_date": ALL_DAYS[0],
        "end_date": ALL_DAYS[2],
        "days": 3,
        "max_parallel": 2,
    }
    day_run = RunQueued(
        producer=PRODUCER,
        job_id=JOB.job_id,
        execution_id=backfill_execution_id(BACKFILL_ID, ALL_DAYS[0]),
        job_name="x",
        scheduled_time=T0,
        is_manual=True,
    )
    assert history_entry(day_run) is None
    cancel = CancelBackfill(producer="api", actor="bob", job_id=JOB.job_id, backfill_id=BACKFILL_ID)
    book = fold_backfills(BackfillBook(), requested)
    (cancelled,) = decide_cancel(book, cancel, NOW, PRODUCER).messages
    assert isinstance(cancelled, BackfillCancelled)
    cancelled_line = history_entry(cancelled)
    assert cancelled_line is not None and cancelled_line.action == "cancel_backfill"
    assert cancelled_line.actor == "bob"
