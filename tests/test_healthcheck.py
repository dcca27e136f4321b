"""The liveness file and its checker (what compose.yaml's healthchecks run)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from pathlib import Path

from infrastructure.healthcheck import main
from infrastructure.process import keep_alive_file
from tests.waiting import wait_until


async def test_a_live_process_keeps_its_file_fresh_and_the_check_passes(tmp_path: Path) -> None:
    path = tmp_path / "run" / "alive"
    task = asyncio.create_task(keep_alive_file(path, interval_s=0.05))
    try:
        await wait_until(path.exists)
        assert main([str(path), "5"]) == 0
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_a_stale_or_missing_file_fails_the_check(tmp_path: Path) -> None:
    path = tmp_path / "alive"
    assert main([str(path)]) == 1
    path.touch()
    an_hour_ago = time.time() - 3600
    os.utime(path, (an_hour_ago, an_hour_ago))
    assert main([str(path), "30"]) == 1
    assert main([]) == 2
