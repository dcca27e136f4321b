"""The `JobContext` a worker hands to a job function: progress events and the cancellation flag."""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from typing import Any
from typing import Unpack

from contracts.envelope import Event
from contracts.events import Progress
from contracts.runs import RunJob
from services.workers.job_api import ProgressItems
from services.workers.job_api import RunCancelled

Publish = Callable[[Event], Awaitable[None]]


class RunContext:
    """One attempt of one execution, as seen by the job and by the worker that runs it."""

    def __init__(self, run: RunJob, *, publish: Publish, producer: str) -> None:
        self.run = run
        self.execution_id = run.execution_id
        self.job_id = run.job_id
        self.kwargs = dict(run.kwargs)
        self.force = run.force
        self.is_manual = run.is_manual
        self.cancelled_by: str | None = None
        self._publish = publish
        self._producer = producer
        self._sequence = 0
        self._cancel_requested = False

    @property
    def cancel_requested(self) -> bool:
        """Whether a cancel of the run was asked for."""
        return self._cancel_requested

    def request_cancel(self, actor: str | None) -> None:
        """Ask the run to stop (`actor`: who asked); the job sees it at its next check."""
        if not self._cancel_requested:
            self._cancel_requested = True
            self.cancelled_by = actor

    def check_cancelled(self) -> None:
        """Raise RunCancelled if a cancel was asked for."""
        if self._cancel_requested:
            raise RunCancelled(self.cancelled_by)

    def next_sequence(self) -> int:
        """The next sequence number of the run's events."""
        self._sequence += 1
        return self._sequence

    def envelope(self) -> dict[str, Any]:
        """Envelope and execution fields for the next event of this attempt."""
        return {
            "producer": self._producer,
            "correlation_id": self.run.correlation_id,
            "causation_id": self.run.message_id,
            "job_id": self.run.job_id,
            "execution_id": self.run.execution_id,
            "attempt": self.run.attempt,
            "sequence": self.next_sequence(),
        }

    async def progress(
        self, percent: float, message: str | None = None, **items: Unpack[ProgressItems]
    ) -> None:
        """Report the run's progress (percent, clamped to 0-100) as a `Progress` event.

        Raises RunCancelled first if a cancel was asked for: progress reports are where a job stops.
        """
        self.check_cancelled()
        event = Progress(
            **self.envelope(),
            progress=min(max(float(percent), 0.0), 100.0),
            message=message,
            **items,
        )
        await self._publish(event)
        self.check_cancelled()
