"""A batch subscription's gathering window: what arrives shortly after a batch's first message joins it."""

from __future__ import annotations

import asyncio

from infrastructure.bus.delivery import next_batch


async def test_what_arrives_within_the_window_joins_the_batch_of_the_first() -> None:
    deliveries: asyncio.Queue[str | None] = asyncio.Queue()
    deliveries.put_nowait("first")
    taking = asyncio.create_task(next_batch(deliveries, max_batch=10, gather_s=60))
    await asyncio.sleep(0)  # the first is taken: the window is open
    for name in ("second", "third"):
        deliveries.put_nowait(name)
    await asyncio.sleep(0)
    assert not taking.done(), "the window is still open"
    taking.cancel()  # a window of a minute is not waited out here: the same with a short one below
    deliveries = asyncio.Queue()
    deliveries.put_nowait("first")
    taking = asyncio.create_task(next_batch(deliveries, max_batch=10, gather_s=0.01))
    await asyncio.sleep(0)
    deliveries.put_nowait("second")
    assert await taking == (["first", "second"], False)


async def test_a_full_batch_does_not_wait_and_no_window_takes_only_what_is_there() -> None:
    deliveries: asyncio.Queue[str | None] = asyncio.Queue()
    for name in ("a", "b", "c"):
        deliveries.put_nowait(name)
    assert await asyncio.wait_for(next_batch(deliveries, max_batch=3, gather_s=60), 30) == (
        ["a", "b", "c"],
        False,
    )
    deliveries.put_nowait("d")
    assert await next_batch(deliveries, max_batch=3) == (["d"], False)


async def test_the_end_of_the_queue_ends_a_gathered_batch() -> None:
    deliveries: asyncio.Queue[str | None] = asyncio.Queue()
    deliveries.put_nowait("last")
    taking = asyncio.create_task(next_batch(deliveries, max_batch=10, gather_s=0.01))
    await asyncio.sleep(0)
    deliveries.put_nowait(None)
    assert await taking == (["last"], True)
