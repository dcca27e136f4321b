"""Background loops: one round of work, a pause, again, until cancelled.

Every long-lived duty of a service (a heartbeat, the leader's watch, a purge, a flush) has the same shape:
a named asyncio task that repeats a round, survives a failed round (logged, tried again after the pause)
and ends when the service stops. `Repeating(...).forever()` is that loop as a coroutine (for a task
someone else owns); `BackgroundLoop` owns the task as well (start, stop).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

Round = Callable[[], Awaitable[object]]
"""One round of work; what it returns is ignored."""

Pause = Callable[[], Awaitable[object]]
"""What separates two rounds (a sleep, or a wait for a wake-up with a deadline)."""

_logger = logging.getLogger(__name__)


def every(seconds: float | Callable[[], float]) -> Pause:
    """A pause of `seconds` (a number, or a function read at each pause, e.g. a setting)."""

    async def pause() -> None:
        await asyncio.sleep(seconds() if callable(seconds) else seconds)

    return pause


@dataclass(frozen=True)
class Repeating:
    """Rounds of `work` with `pause` between, for ever (until cancelled).

    A round that raises is logged (`failure`, with its traceback, on `logger`) and the loop goes on;
    `pause_first` pauses before the first round.
    """

    work: Round
    pause: Pause
    failure: str
    pause_first: bool = False
    logger: logging.Logger = _logger

    async def forever(self) -> NoReturn:
        """Run the rounds (the body of a task: it ends only when cancelled)."""
        if self.pause_first:
            await self.pause()
        while True:
            try:
                await self.work()
            except Exception:
                self.logger.exception(self.failure)
            await self.pause()


class BackgroundLoop:
    """A named task running `rounds`, from `start` until `stop`."""

    def __init__(self, name: str, rounds: Repeating) -> None:
        self.name = name
        self.rounds = rounds
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """Whether the loop's task is started and not ended."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the task (once: a second call while it runs does nothing)."""
        if not self.running:
            self._task = asyncio.create_task(self.rounds.forever(), name=self.name)

    async def stop(self) -> None:
        """Cancel the task and wait for it to end (nothing if it was never started)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
