"""The `JobContext` a worker hands to a job function: progress events and the cancellation flag."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from contracts.envelope import Event
from contracts.events import Progress
from contracts.runs import RunJob
from services.workers.job_api import RunCancelled

Publish = Callable[[Event], Awaitable[None]]


class RunContext:
    """One attempt of one execution, as seen by the job and by the worker that runs it."""

    def __init__(self, run: RunJob, *, publish: Publish, producer: str) -> None:
        self._run = run
        self._publish = publish
        self._producer = producer
        self._sequence = 0
        self.cancelled_by: str | None = None
        self._cancel_requested = False

    @property
    def execution_id(self) -> str:
        """The id of the run (execution) being run."""
        return self._run.execution_id

    @property
    def job_id(self) -> str:
        """The id of the job the run belongs to."""
        return self._run.job_id

    @property
    def kwargs(self) -> dict[str, Any]:
        """The run's parameters (a copy)."""
        return dict(self._run.kwargs)

    @property
    def force(self) -> bool:
        """Whether the run skips its preconditions (the trading-time check), as the operator asked."""
        return self._run.force

    @property
    def is_manual(self) -> bool:
        """Whether an operator triggered the run."""
        return self._run.is_manual

    @property
    def run(self) -> RunJob:
        """The `RunJob` message the run came from."""
        return self._run

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
            "correlation_id": self._run.correlation_id,
            "causation_id": self._run.message_id,
            "job_id": self._run.job_id,
            "execution_id": self._run.execution_id,
            "attempt": self._run.attempt,
            "sequence": self.next_sequence(),
        }

    async def progress(
        self,
        percent: float,
        message: str | None = None,
        *,
        current_item: str | None = None,
        total_items: int | None = None,
        processed_items: int | None = None,
    ) -> None:
        """Report the run's progress (percent, clamped to 0-100) as a `Progress` event.

        Raises RunCancelled first if a cancel was asked for: progress reports are where a job stops.
        """
        self.check_cancelled()
        event = Progress(
            **self.envelope(),
            progress=min(max(float(percent), 0.0), 100.0),
            message=message,
            current_item=current_item,
            total_items=total_items,
            processed_items=processed_items,
        )
        await self._publish(event)
        self.check_cancelled()
