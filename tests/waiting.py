"""Wait for a condition with a deadline, instead of sleeping for a guessed time."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable
from collections.abc import Callable


async def wait_until(
    predicate: Callable[[], object | Awaitable[object]],
    *,
    timeout: float = 10.0,
    interval: float = 0.02,
    message: str = "",
) -> None:
    """Return as soon as `predicate()` (sync or async) is truthy (True, a record found, a non-empty list);
    fail the test after `timeout` seconds.

    This is the one place in the tests allowed to sleep: a short poll interval between checks.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        outcome = predicate()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return
        if loop.time() >= deadline:
            raise AssertionError(f"condition not met within {timeout} s: {message or predicate!r}")
        await asyncio.sleep(interval)
