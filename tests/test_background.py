"""The background-loop helper: rounds, pauses, failed rounds, start and stop."""

from __future__ import annotations

import asyncio
import logging

import pytest

from infrastructure.background import BackgroundLoop
from infrastructure.background import Repeating
from infrastructure.background import every
from tests.waiting import wait_until


class Rounds:
    """A round that counts itself and fails on the rounds named in `failing`."""

    def __init__(self, failing: frozenset[int] = frozenset()) -> None:
        self.count = 0
        self.failing = failing

    async def __call__(self) -> None:
        self.count += 1
        if self.count in self.failing:
            raise RuntimeError(f"round {self.count} broke")


async def test_a_loop_repeats_its_round_until_stopped() -> None:
    rounds = Rounds()
    loop = BackgroundLoop("counting", Repeating(rounds, every(0.001), "round failed"))
    loop.start()
    assert loop.running
    await wait_until(lambda: rounds.count >= 3)
    await loop.stop()
    assert not loop.running
    assert "counting" not in {task.get_name() for task in asyncio.all_tasks()}


async def test_a_failed_round_is_logged_and_the_loop_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    rounds = Rounds(failing=frozenset({1}))
    loop = BackgroundLoop("flaky", Repeating(rounds, every(0.001), "round failed; trying again"))
    with caplog.at_level(logging.ERROR, logger="infrastructure.background"):
        loop.start()
        await wait_until(lambda: rounds.count >= 2)
        await loop.stop()
    assert [record.getMessage() for record in caplog.records] == ["round failed; trying again"]
    assert caplog.records[0].exc_info is not None


async def test_the_pause_may_come_first() -> None:
    rounds = Rounds()
    paused = asyncio.Event()
    release = asyncio.Event()

    async def pause() -> None:
        paused.set()
        await release.wait()
        release.clear()  # the next pause waits again

    task = asyncio.create_task(Repeating(rounds, pause, "x", pause_first=True).forever())
    await wait_until(paused.is_set)
    assert rounds.count == 0  # no round before the first pause has ended
    release.set()
    await wait_until(lambda: rounds.count >= 1)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_start_twice_runs_one_task_and_stop_without_start_is_harmless() -> None:
    idle = BackgroundLoop("idle", Repeating(Rounds(), every(60.0), "x"))
    await idle.stop()
    rounds = Rounds()
    loop = BackgroundLoop("once", Repeating(rounds, every(60.0), "x"))
    loop.start()
    loop.start()
    await wait_until(lambda: rounds.count >= 1)
    assert [t.get_name() for t in asyncio.all_tasks()].count("once") == 1
    await loop.stop()
    loop.start()  # started again after a stop
    await wait_until(lambda: rounds.count >= 2)
    await loop.stop()


async def test_every_reads_a_changing_interval_at_each_pause() -> None:
    seen: list[float] = []

    def interval() -> float:
        seen.append(0.0)
        return 0.0

    pause = every(interval)
    await pause()
    await pause()
    assert len(seen) == 2
