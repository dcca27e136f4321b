"""What the leader knows of the runs in flight and of the executions it decided, and `evolve`.

`evolve(state, message, now)` folds one message (a lifecycle event, or a message the leader itself
publishes) into the state and returns the new state; it never does I/O. Liveness is measured on the
monotonic clock (`Now.mono`), so a step of the wall clock neither fails a run nor freezes its watch.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import datetime
from typing import Any

from contracts.envelope import ExecutionEvent
from contracts.envelope import Message
from contracts.events import RUN_ENDED_AS
from contracts.events import TERMINAL_STATUSES
from contracts.events import AttemptFailed
from contracts.events import ExecutionDeleted
from contracts.events import ExecutionMarkedFailed
from contracts.events import JobFinished
from contracts.events import JobMissed
from contracts.events import JobPaused
from contracts.events import JobRegistered
from contracts.events import JobResumed
from contracts.events import JobSkipped
from contracts.events import JobStarted
from contracts.events import Progress
from contracts.events import QueuedRunCancelled
from contracts.events import RunQueued
from contracts.events import RunScheduled
from contracts.events import RunWaiting
from contracts.events import WorkerHeartbeat
from contracts.runs import RunJob
from domain.records import ExecutionRecord
from domain.same_fields import copied
from domain.scheduling.bounded import remembered
from domain.scheduling.bounded import without
from domain.scheduling.fire import Now
from domain.scheduling.progress import DependencyProgress
from domain.scheduling.progress import ran
from domain.scheduling.progress import run_time
from domain.scheduling.progress import tracked

REMEMBERED_OUTCOMES = 4_096
"""How many decided executions the state remembers (newest first); older ones are looked up in the store."""


@dataclass(frozen=True)
class ActiveRun:
    """A run that is not over: enough to count it, watch it and send its next attempt.

    `heard_at`, `dispatched_at` and `retry_due` are monotonic seconds (`Now.mono`).
    """

    execution_id: str
    job_id: str
    scheduled_time: Any
    is_manual: bool
    kwargs: Mapping[str, Any]
    force: bool
    attempt: int
    running: bool
    heard_at: float
    dispatched_at: float
    correlation_id: str | None = None
    retry_due: float | None = None
    worker_id: str | None = None
    dispatches: int = 1

    @property
    def waiting(self) -> bool:
        """Queued for a worker (not running, no retry pending)."""
        return not self.running and self.retry_due is None


_QUEUED_FIELDS = (
    "execution_id", "job_id", "scheduled_time", "is_manual", "kwargs", "force", "attempt", "correlation_id",
)  # fmt: skip
"""The fields of an `ActiveRun` its `RunQueued` gives, under the same names."""


@dataclass(frozen=True)
class PlannedRun:
    """A one-off run waiting for its moment (`RunScheduled`); `run_at` is wall time (aware)."""

    execution_id: str
    job_id: str
    run_at: datetime
    kwargs: Mapping[str, Any]
    force: bool
    actor: str | None
    correlation_id: str | None = None


@dataclass(frozen=True)
class WaitingRun:
    """A time trigger's fire waiting for its upstream jobs (`RunWaiting`); `wait_until` is wall time.

    `unconfirmed`: waiting again after its run or skip was published unconfirmed (`rewaited`), which may
    have reached the broker all the same; its record says (`domain.scheduling.reconcile.reconciled_waits`).
    """

    execution_id: str
    job_id: str
    job_name: str
    scheduled_time: datetime
    waiting_for: tuple[str, ...]
    wait_until: datetime
    kwargs: Mapping[str, Any]
    correlation_id: str | None = None
    unconfirmed: bool = False


@dataclass(frozen=True)
class SchedulerState:
    """The scheduler's state in memory.

    Runs in flight by execution id, recent outcomes by execution id, paused jobs, one-off runs waiting
    for their moment (`planned`), the progress of dependencies (each job's latest end and latest run:
    `domain.scheduling.progress`), and the fires waiting for their upstream jobs (`waiting`).
    """

    runs: Mapping[str, ActiveRun] = field(default_factory=dict)
    outcomes: Mapping[str, str] = field(default_factory=dict)
    paused: frozenset[str] = frozenset()
    planned: Mapping[str, PlannedRun] = field(default_factory=dict)
    progress: DependencyProgress = field(default_factory=DependencyProgress)
    waiting: Mapping[str, WaitingRun] = field(default_factory=dict)

    def due(self, wall: datetime) -> list[PlannedRun]:
        """The one-off runs whose moment has come, oldest first."""
        return sorted((run for run in self.planned.values() if run.run_at <= wall), key=lambda r: r.run_at)

    def next_planned(self) -> datetime | None:
        """The moment of the next one-off run (None: none waits)."""
        return min((run.run_at for run in self.planned.values()), default=None)

    def active_count(self, job_id: str, *, excluding: str | None = None) -> int:
        """How many runs of the job are in flight or waiting.

        Runs of the job in flight or waiting for upstream jobs, not counting `excluding` (the execution
        being decided).
        """
        in_flight = sum(
            1 for run in self.runs.values() if run.job_id == job_id and run.execution_id != excluding
        )
        return in_flight + sum(
            1 for run in self.waiting.values() if run.job_id == job_id and run.execution_id != excluding
        )

    def outcome(self, execution_id: str) -> str | None:
        """What became of an execution this state knows: its status, or None when unknown here."""
        run = self.runs.get(execution_id)
        if run is not None:
            return "running" if run.running else "queued"
        if execution_id in self.planned:
            return "scheduled"
        if execution_id in self.waiting:
            return "waiting"
        return self.outcomes.get(execution_id)

    def decided(self, execution_id: str, recorded: str | None) -> bool:
        """Whether an execution was decided already: this state knows it, or the store has it (`recorded`)."""
        return self.outcome(execution_id) is not None or recorded is not None


def loaded(records: Iterable[ExecutionRecord], paused: Iterable[str], now: Now) -> SchedulerState:
    """The state a new leader starts from.

    The read model's unfinished runs, each heard of `now`, and its one-off runs still waiting for their
    moment.
    """
    runs: dict[str, ActiveRun] = {}
    planned: dict[str, PlannedRun] = {}
    waiting: dict[str, WaitingRun] = {}
    for record in records:
        if record.status in TERMINAL_STATUSES:
            continue
        if record.status == "scheduled" and record.run_at is not None:
            planned[record.execution_id] = _planned_from(record)
            continue
        if record.status == "waiting":
            waiting[record.execution_id] = _waiting_from(record)
            continue
        retry_due = None
        if record.retry_at is not None:
            retry_due = now.mono + max(0.0, (record.retry_at - now.wall).total_seconds())
        runs[record.execution_id] = copied(
            ActiveRun,
            record,
            scheduled_time=record.scheduled_time or record.timestamp,
            running=record.status == "running",
            heard_at=now.mono,
            dispatched_at=now.mono,
            retry_due=retry_due,
        )
    return SchedulerState(runs=runs, paused=frozenset(paused), planned=planned, waiting=waiting)


def _waiting_from(record: ExecutionRecord) -> WaitingRun:
    scheduled_time = record.scheduled_time or record.timestamp
    return copied(
        WaitingRun,
        record,
        scheduled_time=scheduled_time,
        waiting_for=tuple(record.waiting_for or ()),
        wait_until=record.wait_until or scheduled_time,
    )


def _planned_from(record: ExecutionRecord) -> PlannedRun:
    assert record.run_at is not None
    return copied(PlannedRun, record)


_ENDED_AS: dict[type[ExecutionEvent], str] = {**RUN_ENDED_AS, ExecutionDeleted: "deleted"}


def evolve(
    state: SchedulerState, message: Message, now: Now, *, recorded: str | None = None
) -> SchedulerState:
    """Fold one message into the state (any order, any number of times: duplicates change nothing).

    `recorded`: the stored status of the message's execution when the state knows nothing of it (a leader
    rebuilt after a restart knows only unfinished runs); a late duplicate `RunQueued` of a run that has
    ended is then remembered as ended, never reopened.
    """
    folded = _folded(state, message, now, recorded)
    if isinstance(message, (JobMissed, JobSkipped)) and state.outcome(message.execution_id) not in (
        None,
        "waiting",
    ):
        return folded  # an execution that exists is never ended by a miss or a skip: no end to follow
    run = state.runs.get(message.execution_id) if isinstance(message, ExecutionEvent) else None
    progress = tracked(state.progress, message, run.kwargs if run is not None else None)
    if isinstance(message, RunQueued) and _unconfirmed(state, message.execution_id):
        progress = ran(progress, message.job_id, run_time(message))  # the echo of a run that got through
    return folded if progress is folded.progress else replace(folded, progress=progress)


def _unconfirmed(state: SchedulerState, execution_id: str) -> bool:
    waiting = state.waiting.get(execution_id)
    return waiting is not None and waiting.unconfirmed


def _folded(state: SchedulerState, message: Message, now: Now, recorded: str | None) -> SchedulerState:
    match message:
        case RunScheduled() | RunWaiting():
            return (
                _waits(state, message, recorded)
                if isinstance(message, RunWaiting)
                else _planned(state, message, recorded)
            )
        case RunQueued():
            state = unwaited(unplanned(state, message.execution_id), message.execution_id)
            return _queued(state, message, now, recorded)
        case RunJob():
            return _dispatched(state, message, now)
        case JobStarted() | Progress() | WorkerHeartbeat():
            return _heard_of(state, message, now)
        case AttemptFailed():
            return _attempt_failed(state, message, now)
        case JobFinished():
            return ended(state, message.execution_id, message.status)
        case ExecutionMarkedFailed() | QueuedRunCancelled() | ExecutionDeleted():
            return ended(state, message.execution_id, _ENDED_AS[type(message)])
        case JobMissed() | JobSkipped():
            return _not_run(state, message)
        case JobPaused() | JobResumed() | JobRegistered():
            return _pause(state, message)
    return state


def _heard_of(
    state: SchedulerState, message: JobStarted | Progress | WorkerHeartbeat, now: Now
) -> SchedulerState:
    if isinstance(message, WorkerHeartbeat):
        for ref in message.runs:
            state = _heard(state, ref.execution_id, ref.attempt, now, message.worker_id)
        return state
    worker_id = message.worker_id if isinstance(message, JobStarted) else None
    return _heard(state, message.execution_id, message.attempt, now, worker_id)


def forgotten(state: SchedulerState, execution_id: str) -> SchedulerState:
    """The state without an execution (a run whose messages could not be published)."""
    runs, outcomes = without(state.runs, execution_id), without(state.outcomes, execution_id)
    return replace(unplanned(state, execution_id), runs=runs, outcomes=outcomes)


def graced(state: SchedulerState, now: Now) -> SchedulerState:
    """Every run counted as heard of `now` (after a time during which heartbeats could not arrive)."""
    return replace(state, runs={key: replace(run, heard_at=now.mono) for key, run in state.runs.items()})


def ended(state: SchedulerState, execution_id: str, status: str) -> SchedulerState:
    """The execution is over: no longer in flight nor waiting, its outcome remembered."""
    runs = without(state.runs, execution_id)
    state = unwaited(unplanned(state, execution_id), execution_id)
    return replace(state, runs=runs, outcomes=_remember(state.outcomes, execution_id, status))


def _remember(outcomes: Mapping[str, str], execution_id: str, status: str) -> dict[str, str]:
    return remembered(outcomes, execution_id, status, REMEMBERED_OUTCOMES)


def unplanned(state: SchedulerState, execution_id: str) -> SchedulerState:
    """The state without the one-off run `execution_id` waiting (it is released, cancelled or ended)."""
    if execution_id not in state.planned:
        return state
    return replace(state, planned=without(state.planned, execution_id))


def unwaited(state: SchedulerState, execution_id: str) -> SchedulerState:
    """The state without the fire `execution_id` waiting for its upstream jobs (released or ended)."""
    if execution_id not in state.waiting:
        return state
    return replace(state, waiting=without(state.waiting, execution_id))


def _waits(state: SchedulerState, event: RunWaiting, recorded: str | None) -> SchedulerState:
    if state.decided(event.execution_id, recorded):
        return state  # a duplicate, or an execution already released or ended: never waits again
    return waits(state, copied(WaitingRun, event, waiting_for=tuple(event.waiting_for)))


def waits(state: SchedulerState, run: WaitingRun) -> SchedulerState:
    """The state with `run` among the fires waiting for their upstream jobs."""
    return replace(state, waiting={**state.waiting, run.execution_id: run})


def rewaited(state: SchedulerState, run: WaitingRun) -> SchedulerState:
    """The state with the fire waiting again, `unconfirmed`: its run or skip was not confirmed.

    Its run or skip may have reached the broker all the same (a confirm that came too late): its record is
    read before it is decided again (`domain.scheduling.reconcile.reconciled_waits`). Its run's echo, heard
    while it is marked so, counts as its job's run (the run's `RunJob` was never confirmed).
    """
    return waits(state, replace(run, unconfirmed=True))


def replanned(state: SchedulerState, run: PlannedRun) -> SchedulerState:
    """The state with the one-off run waiting again (its release could not be published)."""
    return replace(state, planned={**state.planned, run.execution_id: run})


def _planned(state: SchedulerState, event: RunScheduled, recorded: str | None) -> SchedulerState:
    if state.decided(event.execution_id, recorded):
        return state  # a duplicate, or an execution already released or ended: never planned again
    return replanned(state, copied(PlannedRun, event, run_at=event.scheduled_time))


def _queued(state: SchedulerState, event: RunQueued, now: Now, recorded: str | None) -> SchedulerState:
    if state.outcome(event.execution_id) is not None:
        return state  # a duplicate, or an execution already decided: never reopened
    if recorded in TERMINAL_STATUSES and event.execution_id not in state.runs:
        return ended(state, event.execution_id, recorded)  # ended before this leader took office
    # Named fields, not `copied`: every run passes here, and `copied` costs several times the constructor.
    run = ActiveRun(
        **{name: getattr(event, name) for name in _QUEUED_FIELDS},
        running=False,
        heard_at=now.mono,
        dispatched_at=now.mono,
        dispatches=0,  # its `RunJob` follows
    )
    return replace(state, runs={**state.runs, event.execution_id: run})


def _dispatched(state: SchedulerState, run_job: RunJob, now: Now) -> SchedulerState:
    run = state.runs.get(run_job.execution_id)
    if run is None or run_job.attempt < run.attempt:
        return state
    if run.retry_due is not None and run_job.attempt == run.attempt:
        return state  # a late duplicate of the failed attempt's `RunJob`: the retry (attempt + 1) stands
    moved = replace(run, retry_due=None, dispatched_at=now.mono, dispatches=run.dispatches + 1)
    if run_job.attempt > run.attempt:  # a new attempt waits from now
        moved = replace(moved, attempt=run_job.attempt, running=False, heard_at=now.mono, dispatches=1)
    return replace(state, runs={**state.runs, run.execution_id: moved})


def _heard(
    state: SchedulerState, execution_id: str, attempt: int, now: Now, worker_id: str | None
) -> SchedulerState:
    run = state.runs.get(execution_id)
    if run is None or attempt < run.attempt:
        return state
    if run.retry_due is not None and attempt == run.attempt:
        return state  # the attempt is over (a heartbeat sent before its `AttemptFailed`, delivered after)
    heard = replace(
        run,
        attempt=attempt,
        running=True,
        heard_at=now.mono,
        retry_due=None,
        worker_id=worker_id or run.worker_id,
    )
    return replace(state, runs={**state.runs, execution_id: heard})


def _attempt_failed(state: SchedulerState, event: AttemptFailed, now: Now) -> SchedulerState:
    run = state.runs.get(event.execution_id)
    if (
        run is None
        or event.attempt < run.attempt
        or (run.retry_due is not None and event.attempt == run.attempt)
    ):
        return state
    waiting = replace(run, attempt=event.attempt, running=False, retry_due=now.mono + event.retry_in_s)
    return replace(state, runs={**state.runs, run.execution_id: waiting})


def _not_run(state: SchedulerState, event: JobMissed | JobSkipped) -> SchedulerState:
    state = unplanned(state, event.execution_id)  # a one-off run missed or skipped at its moment
    state = unwaited(state, event.execution_id)  # a fire that waited for its upstream jobs, skipped
    if state.outcome(event.execution_id) is not None:
        return state  # an execution that exists is never changed by a miss or a skip
    status = "missed" if isinstance(event, JobMissed) else "skipped"
    return replace(state, outcomes=_remember(state.outcomes, event.execution_id, status))


def _pause(state: SchedulerState, event: JobPaused | JobResumed | JobRegistered) -> SchedulerState:
    paused = isinstance(event, JobPaused) or (isinstance(event, JobRegistered) and event.paused)
    jobs = state.paused | {event.job_id} if paused else state.paused - {event.job_id}
    return replace(state, paused=frozenset(jobs))
