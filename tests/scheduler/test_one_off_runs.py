"""One-off runs in one process: listed `scheduled` at once, started at their moment, never started once
cancelled, and still started by the next leader when the scheduler restarts before their moment."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest

from contracts.commands import CancelExecution
from contracts.commands import TriggerJob
from domain.records import ExecutionRecord
from infrastructure.store.port import EventQuery
from services.embedded.system import EmbeddedSystem
from services.scheduler.bootstrap import build_scheduler
from tests.jobs import embedded_settings
from tests.waiting import wait_until

CANARY = "pipeline_canary"


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[EmbeddedSystem]:
    embedded = EmbeddedSystem(embedded_settings(data_dir=tmp_path, maintenance_interval_s=0.1))
    await embedded.start()
    try:
        yield embedded
    finally:
        await embedded.stop()


async def plan(system: EmbeddedSystem, run_at: datetime) -> str:
    execution_id = uuid.uuid4().hex
    command = TriggerJob(
        producer="test",
        actor="ops",
        job_id=CANARY,
        execution_id=execution_id,
        kwargs={"duration_s": 0},
        run_at=run_at,
    )
    await system.bus.publish(command)
    return execution_id


async def reach(system: EmbeddedSystem, execution_id: str, statuses: set[str]) -> ExecutionRecord:
    async def reached() -> ExecutionRecord | None:
        record = await system.store.get_execution(execution_id)
        return record if record is not None and record.status in statuses else None

    await wait_until(reached, timeout=20, message=f"{execution_id} to reach {statuses}")
    record = await system.store.get_execution(execution_id)
    assert record is not None
    return record


async def test_a_one_off_run_is_listed_scheduled_then_runs_at_its_moment(system: EmbeddedSystem) -> None:
    run_at = datetime.now(UTC) + timedelta(seconds=2)
    execution_id = await plan(system, run_at)
    listed = await reach(system, execution_id, {"scheduled"})
    assert listed.scheduled_time is not None and abs(listed.scheduled_time - run_at) < timedelta(
        milliseconds=1
    )
    assert listed.is_manual and listed.actor == "ops" and listed.started_at is None
    done = await reach(system, execution_id, {"success"})
    assert done.started_at is not None and done.started_at >= run_at - timedelta(milliseconds=1)
    assert done.kwargs["duration_s"] == 0


async def test_a_cancelled_one_off_run_never_starts(system: EmbeddedSystem) -> None:
    run_at = datetime.now(UTC) + timedelta(seconds=2)
    execution_id = await plan(system, run_at)
    await reach(system, execution_id, {"scheduled"})
    await system.bus.publish(CancelExecution(producer="test", actor="ops", execution_id=execution_id))
    cancelled = await reach(system, execution_id, {"cancelled"})
    assert cancelled.cancel_requested_by == "ops"
    witness = await plan(system, run_at + timedelta(seconds=1))  # runs after the cancelled one's moment
    await reach(system, witness, {"success"})
    record = await system.store.get_execution(execution_id)
    assert record is not None and record.status == "cancelled" and record.started_at is None
    events, _ = await system.store.list_events(EventQuery(execution_id=execution_id, limit=100))
    assert "JobStarted" not in {event["type"] for event in events}
    assert "RunQueued" not in {event["type"] for event in events}


async def test_a_one_off_run_survives_a_restart_of_the_scheduler(system: EmbeddedSystem) -> None:
    run_at = datetime.now(UTC) + timedelta(seconds=3)
    execution_id = await plan(system, run_at)
    await reach(system, execution_id, {"scheduled"})
    await system.scheduler.stop()
    successor = build_scheduler(
        system.settings,
        bus=system.bus,
        store=system.store,
        claims=system.scheduler.claims,
        scheduler_id="successor",
    )
    await successor.start()
    try:
        await successor.elected.wait()
        done = await reach(system, execution_id, {"success"})
    finally:
        await successor.stop()
    assert done.started_at is not None and done.started_at >= run_at - timedelta(milliseconds=1)
    events, _ = await system.store.list_events(EventQuery(execution_id=execution_id, limit=100))
    assert [event["type"] for event in events].count("RunQueued") == 1
