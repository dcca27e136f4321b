"""Backfills: one run of a job per trading day of a past range, oldest first, a few at a time.

The leader keeps a `BackfillBook` (the backfills not finished) folded from the messages it publishes and
receives (`fold_backfills`), and asks `backfill_step` what each backfill does next: which days to start
now (at most `max_parallel` in flight, never past the job's overlap policy), and whether it has finished.
A day's execution id is deterministic (`backfill_execution_id`), so deciding a day again after a
redelivery or a failover finds its execution and never runs the day twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Any

from contracts.envelope import Message
from contracts.events import RUN_ENDED_AS
from contracts.events import TERMINAL_STATUSES
from contracts.events import BackfillCancelled
from contracts.events import BackfillFinished
from contracts.events import BackfillRequested
from contracts.events import ExecutionMarkedFailed
from contracts.events import JobFinished
from contracts.events import JobMissed
from contracts.events import JobSkipped
from contracts.events import QueuedRunCancelled
from contracts.events import RunQueued
from contracts.events import backfill_execution_id
from contracts.events import backfill_of
from domain.same_fields import copied
from domain.scheduling.bounded import without
from domain.scheduling.date_range import range_kwargs
from domain.scheduling.fire import Fire
from domain.scheduling.fire import Now
from domain.scheduling.job import JobRules
from domain.scheduling.state import SchedulerState

DONE_STATUSES = frozenset({"success", "partial"})
FAILED_STATUSES = frozenset({"failed", "missed", "skipped"})
REMEMBERED_FINISHED = 1_024
"""How many finished backfill ids the book remembers (a late duplicate `BackfillRequested` never reopens)."""


def day_kwargs(job_kind: str, day: str) -> dict[str, str]:
    """The kwargs that give one run its day.

    From what the kind declares: `trade_date` when it takes one, else `start_date` (and `end_date` when
    declared) set to the day.
    """
    return range_kwargs(job_kind, (day, day))


@dataclass(frozen=True)
class Backfill:
    """One backfill in progress.

    Its days, how many may run at once, and what became of each day (`started`: decided; `ended`: day -> final
    status).
    """

    backfill_id: str
    job_id: str
    days: tuple[str, ...]
    max_parallel: int
    kwargs: Mapping[str, Any]
    actor: str
    correlation_id: str | None = None
    cancelled: bool = False
    cancelled_by: str | None = None
    started: frozenset[str] = frozenset()
    ended: Mapping[str, str] = field(default_factory=dict)

    @property
    def in_flight(self) -> list[str]:
        """Days decided and not ended, oldest first."""
        return [day for day in self.days if day in self.started and day not in self.ended]

    @property
    def waiting(self) -> list[str]:
        """Days not decided yet, oldest first."""
        return [day for day in self.days if day not in self.started and day not in self.ended]

    def execution_id(self, day: str) -> str:
        """The execution id of this backfill's run of `day`."""
        return backfill_execution_id(self.backfill_id, day)


@dataclass(frozen=True)
class BackfillBook:
    """The backfills not finished, by id, and the ids of those that finished (newest last)."""

    active: Mapping[str, Backfill] = field(default_factory=dict)
    finished: tuple[str, ...] = ()

    def knows(self, backfill_id: str) -> bool:
        """Whether the backfill is in progress or finished here."""
        return backfill_id in self.active or backfill_id in self.finished


def fold_backfills(book: BackfillBook, message: Message) -> BackfillBook:
    """The book after one message (any number of times: duplicates change nothing)."""
    match message:
        case BackfillRequested():
            return _opened(book, message)
        case BackfillCancelled():
            backfill = book.active.get(message.backfill_id)
            if backfill is None or backfill.cancelled:
                return book
            return with_backfill(book, replace(backfill, cancelled=True, cancelled_by=message.actor))
        case BackfillFinished():
            return closed(book, message.backfill_id)
        case RunQueued():
            return day_seen(book, message.execution_id, None)
        case JobFinished():
            return day_seen(book, message.execution_id, message.status)
        case ExecutionMarkedFailed() | JobMissed() | JobSkipped() | QueuedRunCancelled():
            return day_seen(book, message.execution_id, RUN_ENDED_AS[type(message)])
    return book


def _opened(book: BackfillBook, event: BackfillRequested) -> BackfillBook:
    if book.knows(event.backfill_id):
        return book
    return with_backfill(book, copied(Backfill, event, kwargs=dict(event.kwargs)))


def with_backfill(book: BackfillBook, backfill: Backfill) -> BackfillBook:
    """The book with this backfill (added or replaced)."""
    return replace(book, active={**book.active, backfill.backfill_id: backfill})


def closed(book: BackfillBook, backfill_id: str) -> BackfillBook:
    """The book with the backfill finished."""
    active = without(book.active, backfill_id)
    finished = book.finished if backfill_id in book.finished else (*book.finished, backfill_id)
    return BackfillBook(active=active, finished=finished[-REMEMBERED_FINISHED:])


def day_seen(book: BackfillBook, execution_id: str, status: str | None) -> BackfillBook:
    """The book once a backfill's run of a day is decided (`status` None) or has ended (`status`)."""
    owner = backfill_of(execution_id)
    if owner is None or owner[0] not in book.active:
        return book
    backfill = book.active[owner[0]]
    day = owner[1]
    if day not in backfill.days or day in backfill.ended:
        return book
    started = backfill.started | {day}
    ended = {**backfill.ended, day: status} if status in TERMINAL_STATUSES else backfill.ended
    if started == backfill.started and ended is backfill.ended:
        return book
    return with_backfill(book, replace(backfill, started=started, ended=ended))


@dataclass(frozen=True)
class BackfillStep:
    """What a backfill does now.

    The fires of the days to start, the runs in flight to cancel (after a cancel), and its `BackfillFinished`
    once every day has ended.
    """

    fires: tuple[Fire, ...] = ()
    to_cancel: tuple[str, ...] = ()
    finished: BackfillFinished | None = None


def backfill_step(
    backfill: Backfill, state: SchedulerState, job: JobRules | None, now: Now, producer: str
) -> BackfillStep:
    """The days to start now (oldest first), or the finish.

    A cancelled backfill (or one whose job was deleted) starts nothing more and asks its runs in flight to
    stop.
    """
    in_flight = backfill.in_flight
    if backfill.cancelled or job is None:
        if in_flight:
            return BackfillStep(to_cancel=tuple(backfill.execution_id(day) for day in in_flight))
        return BackfillStep(finished=_finished(backfill, now, producer))
    waiting = backfill.waiting
    if not waiting and not in_flight:
        return BackfillStep(finished=_finished(backfill, now, producer))
    room = min(backfill.max_parallel - len(in_flight), _overlap_room(state, job))
    fires = tuple(_fire(backfill, job, day, now) for day in waiting[: max(room, 0)])
    return BackfillStep(fires=fires)


def _overlap_room(state: SchedulerState, job: JobRules) -> int:
    """How many more runs of the job its overlap policy lets start now."""
    active = state.active_count(job.job_id)
    if job.policy.overlap == "skip":
        return 0 if active > 0 else 1
    return job.policy.max_concurrent - active


def _fire(backfill: Backfill, job: JobRules, day: str, now: Now) -> Fire:
    return Fire(
        job_id=backfill.job_id,
        scheduled_time=now.wall,
        execution_id=backfill.execution_id(day),
        origin="manual",
        kwargs={**backfill.kwargs, **day_kwargs(job.job_kind, day)},
        actor=backfill.actor,
        cause={"correlation_id": backfill.correlation_id or backfill.backfill_id},
    )


def backfill_counts(backfill: Backfill) -> tuple[int, int, int]:
    """(done, failed, cancelled); a day that never started counts as cancelled."""
    statuses = [backfill.ended.get(day, "cancelled") for day in backfill.days]
    done = sum(1 for status in statuses if status in DONE_STATUSES)
    failed = sum(1 for status in statuses if status in FAILED_STATUSES)
    return done, failed, len(statuses) - done - failed


def _finished(backfill: Backfill, now: Now, producer: str) -> BackfillFinished:
    done, failed, cancelled = backfill_counts(backfill)
    return BackfillFinished(
        producer=producer,
        occurred_at=now.wall,
        correlation_id=backfill.correlation_id or backfill.backfill_id,
        job_id=backfill.job_id,
        backfill_id=backfill.backfill_id,
        done=done,
        failed=failed,
        cancelled=cancelled,
        was_cancelled=backfill.cancelled,
    )
