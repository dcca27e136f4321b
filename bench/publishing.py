"""Publishing in bulk the same way for every measurement: a sliding window of unconfirmed messages.

The architecture notes measured ~3.2–3.5 k/s persistent publishes with ~100 confirms in flight on this
machine, against ~1.1–1.4 k/s awaiting each; every bulk publish here keeps `in_flight` outstanding.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Sequence
from typing import TypeVar

Item = TypeVar("Item")
IN_FLIGHT = 100


async def publish_window(
    send: Callable[[Item], Awaitable[None]], items: Sequence[Item], in_flight: int = IN_FLIGHT
) -> None:
    """Call `send` on every item, at most `in_flight` unfinished at once, in order of the items."""
    window = asyncio.Semaphore(in_flight)
    failures: list[BaseException] = []

    async def one(item: Item) -> None:
        try:
            await send(item)
        except Exception as error:
            failures.append(error)
        finally:
            window.release()

    tasks: list[asyncio.Task[None]] = []
    for item in items:
        await window.acquire()
        if failures:
            break
        tasks.append(asyncio.create_task(one(item)))
    await asyncio.gather(*tasks)
    if failures:
        raise failures[0]
