"""A queued run outlives a restart of the embedded mode: its in-process queue is gone, the next start
sends it again (issue: "a queued run is never reclaimed")."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import ApiClient
from tests.e2e.harness import ServiceProcess
from tests.e2e.harness import base_env
from tests.e2e.harness import free_port
from tests.e2e.harness import running

pytestmark = pytest.mark.e2e

CANARY = "pipeline_canary"


async def test_a_queued_run_runs_after_a_restart_of_the_embedded_mode(tmp_path: Path) -> None:
    port = free_port()
    env = base_env(
        tmp_path / "data",
        SCHEDULER_PORT=str(port),
        SCHEDULER_WORKER_CAPACITY="1",
        SCHEDULER_SHUTDOWN_GRACE_S="1",
        SCHEDULER_QUEUED_RUN_REDISPATCH_S="1",
    )
    client = ApiClient(f"http://127.0.0.1:{port}")
    try:
        with running([ServiceProcess("services.embedded", env, tmp_path, name="first")]) as processes:
            await client.wait_ready(processes)
            await client.login()
            busy = await client.trigger(CANARY, duration_s=8, steps=8)
            await client.wait_for_execution(busy, {"running"})
            waiting = await client.trigger(CANARY, duration_s=0, steps=1)
            queued = await client.wait_for_execution(waiting, {"queued"})
            assert queued["status"] == "queued"
        with running([ServiceProcess("services.embedded", env, tmp_path, name="second")]) as processes:
            await client.wait_ready(processes)
            await client.login()
            done = await client.wait_for_execution(waiting, {"success", "failed"}, timeout=60)
            assert done["status"] == "success", done
    finally:
        await client.close()
