"""Background loops: one round of work, a pause, again, until cancelled.

Every long-lived duty of a service (a heartbeat, the leader's watch, a purge, a flush) has the same shape:
a named asyncio task that repeats a round, survives a failed round (logged, tried again after the pause)
and ends when the service stops. `repeat` is that loop as a coroutine (for a task someone else owns);
`BackgroundLoop` owns the task as well (start, stop).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
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


async def repeat(
    work: Round,
    pause: Pause,
    *,
    failure: str,
    pause_first: bool = False,
    logger: logging.Logger = _logger,
) -> NoReturn:
    """Run `work`, then `pause`, for ever (until cancelled); `pause_first` pauses before the first round.

    A round that raises is logged (`failure`, with its traceback, on `logger`) and the loop goes on.
    """
    if pause_first:
        await pause()
    while True:
        try:
            await work()
        except Exception:
            logger.exception(failure)
        await pause()


class BackgroundLoop:
    """A named task that repeats `work` with `pause` between rounds, from `start` until `stop`."""

    def __init__(
        self,
        name: str,
        work: Round,
        pause: Pause,
        *,
        failure: str,
        pause_first: bool = False,
        logger: logging.Logger = _logger,
    ) -> None:
        self.name = name
        self._work = work
        self._pause = pause
        self._failure = failure
        self._pause_first = pause_first
        self._logger = logger
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """Whether the loop's task is started and not ended."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the task (once: a second call while it runs does nothing)."""
        if self.running:
            return
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Cancel the task and wait for it to end (nothing if it was never started)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        await repeat(
            self._work,
            self._pause,
            failure=self._failure,
            pause_first=self._pause_first,
            logger=self._logger,
        )
