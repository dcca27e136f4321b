"""What the active scheduler knows of the runs in flight: which are queued or running, and when each was
last heard of. It feeds the overlap policy, the retries and the detection of lost runs (by heartbeat,
never by start time: a healthy run of many hours is never touched).

It is rebuilt from the read model when the scheduler becomes active, then kept current by the lifecycle
events it consumes (and by the runs the scheduler itself queues, before their events come back).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from contracts.envelope import Event
from contracts.events import (
    TERMINAL_STATUSES,
    AttemptFailed,
    ExecutionDeleted,
    ExecutionMarkedFailed,
    JobFinished,
    JobMissed,
    JobSkipped,
    JobStarted,
    Progress,
    QueuedRunCancelled,
    RunQueued,
    WorkerHeartbeat,
)
from domain.records import ExecutionRecord


@dataclass(frozen=True)
class ActiveRun:
    """A run that is not over: enough to count it, watch it and queue its next attempt."""

    execution_id: str
    job_id: str
    scheduled_time: datetime
    is_manual: bool
    kwargs: dict[str, Any]
    force: bool
    attempt: int
    running: bool
    last_seen: datetime
    correlation_id: str | None = None
    retry_at: datetime | None = None
    worker_id: str | None = None


@dataclass
class RunTracker:
    runs: dict[str, ActiveRun] = field(default_factory=dict)

    def active_count(self, job_id: str) -> int:
        return sum(1 for run in self.runs.values() if run.job_id == job_id)

    def load(self, records: Iterable[ExecutionRecord], now: datetime) -> None:
        """Start from the read model; every running run gets a full heartbeat timeout from now."""
        self.runs.clear()
        for record in records:
            if record.status in TERMINAL_STATUSES:
                continue
            self.runs[record.execution_id] = ActiveRun(
                execution_id=record.execution_id,
                job_id=record.job_id,
                scheduled_time=record.scheduled_time or record.timestamp,
                is_manual=record.is_manual,
                kwargs=record.kwargs,
                force=record.force,
                attempt=record.attempt,
                running=record.status == "running",
                last_seen=now,
                retry_at=record.retry_at,
                worker_id=record.worker_id,
            )

    def queued(self, event: RunQueued) -> None:
        if event.execution_id in self.runs:
            return
        self.runs[event.execution_id] = ActiveRun(
            execution_id=event.execution_id,
            job_id=event.job_id,
            scheduled_time=event.scheduled_time,
            is_manual=event.is_manual,
            kwargs=event.kwargs,
            force=event.force,
            attempt=event.attempt,
            running=False,
            last_seen=event.occurred_at,
            correlation_id=event.correlation_id,
        )

    def observe(self, event: Event, now: datetime) -> None:
        """Update from one lifecycle event (any order; unknown executions are ignored except queued)."""
        match event:
            case RunQueued():
                self.queued(event)
            case JobStarted() | Progress():
                self._seen(
                    event.execution_id,
                    event.attempt,
                    now,
                    running=True,
                    worker_id=getattr(event, "worker_id", None),
                )
            case WorkerHeartbeat():
                for ref in event.runs:
                    self._seen(ref.execution_id, ref.attempt, now, running=True, worker_id=event.worker_id)
            case AttemptFailed():
                run = self.runs.get(event.execution_id)
                if run is not None and event.attempt >= run.attempt:
                    retry_at = event.occurred_at + timedelta(seconds=event.retry_in_s)
                    self.runs[event.execution_id] = replace(run, running=False, retry_at=retry_at)
            case (
                JobFinished()
                | JobMissed()
                | JobSkipped()
                | ExecutionMarkedFailed()
                | ExecutionDeleted()
                | QueuedRunCancelled()
            ):
                self.runs.pop(event.execution_id, None)

    def _seen(
        self, execution_id: str, attempt: int, now: datetime, *, running: bool, worker_id: str | None
    ) -> None:
        run = self.runs.get(execution_id)
        if run is None or attempt < run.attempt:
            return
        self.runs[execution_id] = replace(
            run,
            attempt=attempt,
            running=running,
            last_seen=now,
            retry_at=None,
            worker_id=worker_id or run.worker_id,
        )

    def grace_all(self, now: datetime) -> None:
        """Count every run as heard of `now` (after a time during which heartbeats could not arrive)."""
        for execution_id, run in self.runs.items():
            self.runs[execution_id] = replace(run, last_seen=now)

    def next_attempt_if_waiting(self, execution_id: str) -> int | None:
        """The attempt no worker has started yet, when the run is waiting (queued, or between attempts)."""
        run = self.runs.get(execution_id)
        if run is None or run.running:
            return None
        return run.attempt + 1 if run.retry_at is not None else run.attempt

    def forget(self, execution_id: str) -> None:
        self.runs.pop(execution_id, None)

    def retry_queued(self, execution_id: str, attempt: int, now: datetime) -> None:
        run = self.runs.get(execution_id)
        if run is not None:
            self.runs[execution_id] = replace(
                run, attempt=attempt, running=False, retry_at=None, last_seen=now
            )

    def lost(self, now: datetime, heartbeat_timeout_s: float) -> list[ActiveRun]:
        limit = timedelta(seconds=heartbeat_timeout_s)
        return [run for run in self.runs.values() if run.running and now - run.last_seen > limit]

    def due_retries(self, now: datetime) -> list[ActiveRun]:
        return [run for run in self.runs.values() if run.retry_at is not None and run.retry_at <= now]


class KeyedLocks:
    """One FIFO lock per key (a job, an execution), dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
