"""Hypothesis strategies: realistic event streams, in the order they happened (times strictly increasing).

An execution's stream follows what the scheduler and the workers emit: `RunQueued` (sequence 0), then per
attempt the worker's `JobStarted` (sequence 1), `Progress` reports and the attempt's end — the worker's
`AttemptFailed` or `JobFinished` (next sequence), or the scheduler's `AttemptFailed` / `ExecutionMarkedFailed`
for a lost worker (sequence 0); operators add `CancelRequested`, `ExecutionMarkedFailed` (possibly racing the
worker's `JobFinished`) and, once it has ended, `ExecutionDeleted`. A fire can also be missed or skipped, or
cancelled while queued (`QueuedRunCancelled`).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from hypothesis import strategies as st

from contracts.envelope import Event
from contracts.envelope import ExecutionEvent
from contracts.envelope import JobEvent
from contracts.events import AttemptFailed
from contracts.events import CancelRequested
from contracts.events import ExecutionDeleted
from contracts.events import ExecutionMarkedFailed
from contracts.events import JobFinished
from contracts.events import JobMetadataUpdated
from contracts.events import JobMissed
from contracts.events import JobPaused
from contracts.events import JobRegistered
from contracts.events import JobResumed
from contracts.events import JobScheduled
from contracts.events import JobSkipped
from contracts.events import JobStarted
from contracts.events import Progress
from contracts.events import QueuedRunCancelled
from contracts.events import RunQueued

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
JOB_ID = "pipeline_canary"
SCHEDULER = "scheduler:s1"


@dataclass
class Clock:
    """Strictly increasing moments, at whole milliseconds (what MongoDB keeps)."""

    now: datetime = T0
    ids: list[int] = field(default_factory=lambda: [0])

    def tick(self, milliseconds: int) -> datetime:
        self.now += timedelta(milliseconds=milliseconds)
        return self.now

    def message_id(self) -> str:
        self.ids[0] += 1
        return f"m{self.ids[0]:06d}"


def _steps(draw: st.DrawFn) -> int:
    return draw(st.integers(min_value=1, max_value=5_000))


@dataclass
class ExecutionScript:
    draw: st.DrawFn
    clock: Clock
    execution_id: str
    events: list[ExecutionEvent] = field(default_factory=list)

    def envelope(self, producer: str, attempt: int = 1, sequence: int = 0) -> dict[str, Any]:
        return {
            "message_id": self.clock.message_id(),
            "occurred_at": self.clock.tick(_steps(self.draw)),
            "producer": producer,
            "job_id": JOB_ID,
            "execution_id": self.execution_id,
            "attempt": attempt,
            "sequence": sequence,
        }

    def add(self, event: ExecutionEvent) -> ExecutionEvent:
        self.events.append(event)
        return event


def _not_run(script: ExecutionScript, kind: str) -> None:
    fire = {"job_name": "canary", "scheduled_time": script.clock.now, "reason": "too late"}
    if kind == "missed":
        script.add(JobMissed(**script.envelope(SCHEDULER), **fire))
    else:
        script.add(JobSkipped(**script.envelope(SCHEDULER), **fire, is_manual=script.draw(st.booleans())))


def _attempt(script: ExecutionScript, attempt: int, scheduled: datetime) -> tuple[int, datetime]:
    """The worker starts the attempt and reports progress; returns its last sequence and start."""
    draw, worker = script.draw, f"worker:w{attempt}"
    started = script.add(
        JobStarted(
            **script.envelope(worker, attempt, 1),
            job_name="canary",
            worker_id=f"w{attempt}",
            started_at=script.clock.now,
            scheduled_time=scheduled,
        )
    )
    sequence = 1
    for step in range(draw(st.integers(min_value=0, max_value=3))):
        sequence += 1
        script.add(Progress(**script.envelope(worker, attempt, sequence), progress=25.0 * (step + 1)))
    return sequence, started.occurred_at


def _attempt_fails(script: ExecutionScript, attempt: int, sequence: int) -> None:
    if script.draw(st.booleans()):  # the worker reports its error
        envelope = script.envelope(f"worker:w{attempt}", attempt, sequence + 1)
        script.add(AttemptFailed(**envelope, reason="error", error_message="boom", retry_in_s=5))
    else:  # its heartbeats stopped: the scheduler declares the worker lost
        envelope = script.envelope(SCHEDULER, attempt)
        script.add(AttemptFailed(**envelope, reason="worker_lost", error_message="lost", retry_in_s=0))


def _finished(script: ExecutionScript, attempt: int, sequence: int, started: datetime, status: str) -> None:
    envelope = script.envelope(f"worker:w{attempt}", attempt, sequence + 1)
    script.add(
        JobFinished(
            **envelope,
            status=status,
            started_at=started,
            finished_at=envelope["occurred_at"],
            return_value={"rows": 3} if status == "success" else None,
            error_message="boom" if status == "failed" else None,
            cancelled_by="bob" if status == "cancelled" else None,
        )
    )


def _marked_failed(script: ExecutionScript, attempt: int, actor: str | None) -> None:
    script.add(ExecutionMarkedFailed(**script.envelope(SCHEDULER, attempt), actor=actor, reason="stuck"))


ENDINGS = ("success", "partial", "failed", "cancelled", "marked_failed", "worker_lost", "race", "running")


def _last_attempt(script: ExecutionScript, attempt: int, sequence: int, started: datetime) -> bool:
    """The last attempt's end; whether the execution ended."""
    ending = script.draw(st.sampled_from(ENDINGS))
    if ending == "cancelled":
        script.add(CancelRequested(**script.envelope(SCHEDULER, attempt), actor="bob"))
    if ending in ("success", "partial", "failed", "cancelled"):
        _finished(script, attempt, sequence, started, ending)
    elif ending == "marked_failed":
        _marked_failed(script, attempt, "carol")
    elif ending == "worker_lost":
        _marked_failed(script, attempt, None)  # the scheduler itself
    elif ending == "race":  # an operator marks it failed while the worker finishes: first by time wins
        if script.draw(st.booleans()):
            _marked_failed(script, attempt, "carol")
            _finished(script, attempt, sequence, started, "success")
        else:
            _finished(script, attempt, sequence, started, "success")
            _marked_failed(script, attempt, "carol")
    elif script.draw(st.booleans()):  # still running; perhaps a cancel is on its way
        script.add(CancelRequested(**script.envelope(SCHEDULER, attempt), actor="bob"))
    return ending != "running"


def _cancelled_in_queue(script: ExecutionScript) -> None:
    """Queued, cancelled before any worker started it (the scheduler claimed it: no worker event follows)."""
    script.add(RunQueued(**script.envelope(SCHEDULER), job_name="canary", scheduled_time=script.clock.now))
    script.add(QueuedRunCancelled(**script.envelope(SCHEDULER), actor="bob"))


@st.composite
def execution_streams(draw: st.DrawFn, execution_id: str = "e1", clock: Clock | None = None) -> list[Event]:
    """One execution's events in the order they happened."""
    script = ExecutionScript(draw, clock or Clock(), execution_id)
    kind = draw(st.sampled_from(["run", "run", "run", "missed", "skipped", "cancelled_in_queue"]))
    ended = True
    if kind == "cancelled_in_queue":
        _cancelled_in_queue(script)
    elif kind != "run":
        _not_run(script, kind)
    else:
        manual = draw(st.booleans())
        queued = script.add(
            RunQueued(
                **script.envelope(SCHEDULER),
                job_name="canary",
                scheduled_time=script.clock.now,
                is_manual=manual,
                kwargs={"steps": 2} if manual else {},
                actor="alice" if manual else None,
            )
        )
        attempts = draw(st.integers(min_value=1, max_value=3))
        for attempt in range(1, attempts + 1):
            sequence, started = _attempt(script, attempt, queued.occurred_at)
            if attempt < attempts:
                _attempt_fails(script, attempt, sequence)
            else:
                ended = _last_attempt(script, attempt, sequence, started)
    if ended and draw(st.booleans()):
        script.add(ExecutionDeleted(**script.envelope(SCHEDULER, script.events[-1].attempt), actor="dave"))
    return list(script.events)


@st.composite
def job_streams(draw: st.DrawFn, clock: Clock | None = None) -> list[Event]:
    """One job's catalogue events in the order they happened: registrations (at every scheduler start),
    operator pauses and resumes, schedule changes and metadata edits."""
    clock = clock or Clock()

    def envelope(producer: str = SCHEDULER) -> dict[str, Any]:
        return {
            "message_id": clock.message_id(),
            "occurred_at": clock.tick(_steps(draw)),
            "producer": producer,
            "job_id": JOB_ID,
        }

    def registered(paused: bool) -> JobRegistered:
        return JobRegistered(
            **envelope(),
            name=draw(st.sampled_from(["canary", "Canary v2"])),
            job_kind="pipeline_canary",
            trigger="interval[0:05:00]",
            kwargs={"steps": draw(st.integers(1, 3))},
            paused=paused,
            paused_reason="disabled in settings" if paused else None,
            next_run_time=None if paused else clock.now + timedelta(minutes=5),
        )

    paused = draw(st.booleans())
    events: list[Event] = [registered(paused)]
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        action = draw(st.sampled_from(["pause", "resume", "schedule", "register", "metadata"]))
        if action == "pause":
            events.append(JobPaused(**envelope(), actor=draw(st.sampled_from(["alice", "settings"]))))
            paused = True
        elif action == "resume":
            events.append(JobResumed(**envelope(), actor="alice", next_run_time=clock.now + timedelta(5)))
            paused = False
        elif action == "schedule":
            events.append(JobScheduled(**envelope(), next_run_time=clock.now + timedelta(minutes=5)))
        elif action == "register":
            events.append(registered(paused))
        elif action == "metadata":
            name = draw(st.none() | st.sampled_from(["自检", "Canary"]))
            description = draw(st.none() | st.sampled_from(["流水线自检任务", "about"]))
            events.append(
                JobMetadataUpdated(
                    **envelope("scheduler:s1"), actor="alice", display_name=name, description=description
                )
            )
    return events


def is_job_event(event: Event) -> bool:
    return isinstance(event, JobEvent) and not isinstance(event, ExecutionEvent)
