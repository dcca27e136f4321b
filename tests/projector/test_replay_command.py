"""`python -m services.projector replay [--verify]` on the embedded store: the command as an operator runs it,
and a replay racing a live projector on the same SQLite file (two connections, as two processes have)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from contracts.envelope import ExecutionEvent
from contracts.events import ExecutionDeleted
from infrastructure.store.port import ExecutionQuery
from infrastructure.store.sqlite_store import SQLiteStore
from services.projector.projector import Projector
from services.projector.replay import ReplayResult
from services.projector.replay import replay
from tests.e2e.harness import ROOT
from tests.e2e.harness import base_env
from tests.projector.history import operating_history
from tests.projector.test_replay import delivered
from tests.projector.test_replay import project_live
from tests.projector.test_replay import snapshot
from tests.store_writes import put_execution


def run_command(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.projector", "replay", *arguments],
        cwd=ROOT,
        env=base_env(tmp_path / "data"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_the_command_verifies_reports_differences_and_repairs(
    tmp_path: Path, store: SQLiteStore
) -> None:
    events = operating_history(seed=11)
    await project_live(store, events)

    clean = run_command(tmp_path, "--verify")
    assert clean.returncode == 0, clean.stderr
    assert f"replayed {len(events):,} events" in clean.stdout
    assert "verify: live and rebuilt read models: identical" in clean.stdout
    assert "events/s" in clean.stderr and f"{len(events):,}/{len(events):,} events" in clean.stderr

    executions, _ = await store.list_executions(ExecutionQuery(limit=1))
    await put_execution(store, executions[0].model_copy(update={"status": "cancelled", "progress": 3.0}))
    damaged = run_command(tmp_path, "--verify")
    assert damaged.returncode == 1, damaged.stdout + damaged.stderr
    assert f"scheduler_executions {executions[0].execution_id}:" in damaged.stdout
    assert 'status: live "cancelled"' in damaged.stdout
    assert "verify: live and rebuilt read models: 1 difference(s)" in damaged.stdout

    repaired = run_command(tmp_path)
    assert repaired.returncode == 0, repaired.stderr
    assert "read models rebuilt and swapped in" in repaired.stdout
    assert await store.get_execution(executions[0].execution_id) == executions[0]
    assert run_command(tmp_path, "--verify").returncode == 0


def test_the_command_explains_itself() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "services.projector", "replay", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 0 and "--verify" in shown.stdout and "swap" in shown.stdout


async def test_events_projected_during_a_replay_are_in_the_swapped_in_read_models(
    tmp_path: Path, store: SQLiteStore
) -> None:
    await project_live(store, operating_history(seed=12, runs=300))
    replaying = SQLiteStore(store.path)  # the replay command's own connection
    await replaying.open()
    later = operating_history(seed=13, runs=80)
    later_batches = delivered(later, seed=2)
    projector = Projector(store)

    during_replay = 0
    replayed = asyncio.Event()

    async def project_meanwhile() -> None:
        nonlocal during_replay
        for batch in later_batches:
            await projector.on_events(batch)
            during_replay += not replayed.is_set()
            await asyncio.sleep(0.005)

    async def replay_then_say_so() -> ReplayResult:
        try:
            return await replay(replaying, batch_size=25)
        finally:
            replayed.set()

    try:
        result, _ = await asyncio.gather(replay_then_say_so(), project_meanwhile())
        assert result.events >= 300
        assert during_replay > 0, "the projector and the replay overlapped"
        assert (await replay(replaying, verify=True)).difference_total == 0
    finally:
        await replaying.close()
    executions = {record.execution_id for record in (await snapshot(store)).executions}
    later_ids = {event.execution_id for event in later if isinstance(event, ExecutionEvent)}
    deleted = {event.execution_id for event in later if isinstance(event, ExecutionDeleted)}
    assert later_ids - deleted <= executions, "nothing the projector applied during the swap is lost"


async def test_a_second_replay_is_refused_while_one_runs(tmp_path: Path, store: SQLiteStore) -> None:
    await project_live(store, operating_history(seed=14, runs=5))
    running = await store.begin_rebuild("other-host:4242")
    try:
        refused = run_command(tmp_path)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "not replayed: another replay is running" in refused.stdout
        assert "other-host:4242" in refused.stdout
    finally:
        await running.discard()
    assert run_command(tmp_path, "--verify").returncode == 0
