"""Backfills in one process: each trading day runs once with its day, at most `max_parallel` at once; a
cancel stops the rest; a restart of the scheduler midway neither loses nor doubles a day."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from contracts.commands import CancelBackfill
from contracts.commands import RequestBackfill
from contracts.events import backfill_execution_id
from domain.records import BackfillRecord
from infrastructure.store.port import EventQuery
from services.embedded.system import EmbeddedSystem
from services.scheduler.bootstrap import build_scheduler
from tests.jobs import embedded_settings
from tests.waiting import wait_until

CANARY = "pipeline_canary"
DAYS = ("2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08")


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[EmbeddedSystem]:
    embedded = EmbeddedSystem(embedded_settings(data_dir=tmp_path, maintenance_interval_s=0.1))
    await embedded.start()
    try:
        yield embedded
    finally:
        await embedded.stop()


async def request(
    system: EmbeddedSystem, days: tuple[str, ...] = DAYS, max_parallel: int = 2, duration_s: float = 0
) -> str:
    backfill_id = "bf" + uuid.uuid4().hex
    command = RequestBackfill(
        producer="test",
        actor="ops",
        job_id=CANARY,
        backfill_id=backfill_id,
        start_date=days[0],
        end_date=days[-1],
        days=days,
        max_parallel=max_parallel,
        kwargs={"duration_s": duration_s},
    )
    await system.bus.publish(command)
    return backfill_id


async def reach(system: EmbeddedSystem, backfill_id: str, statuses: set[str]) -> BackfillRecord:
    async def reached() -> BackfillRecord | None:
        record = await system.store.get_backfill(backfill_id)
        return record if record is not None and record.status in statuses else None

    await wait_until(reached, timeout=30, message=f"{backfill_id} to reach {statuses}")
    record = await system.store.get_backfill(backfill_id)
    assert record is not None
    return record


async def queued_count(system: EmbeddedSystem, execution_id: str) -> int:
    events, _ = await system.store.list_events(EventQuery(execution_id=execution_id, limit=100))
    return [event["type"] for event in events].count("RunQueued")


async def test_a_backfill_runs_each_day_once_with_its_day(system: EmbeddedSystem) -> None:
    backfill_id = await request(system)
    done = await reach(system, backfill_id, {"finished"})
    assert done.runs == dict.fromkeys(DAYS, "success")
    assert done.counts == {"done": 5, "failed": 0, "cancelled": 0}
    for day in DAYS:
        execution_id = backfill_execution_id(backfill_id, day)
        record = await system.store.get_execution(execution_id)
        assert record is not None and record.kwargs["trade_date"] == day
        assert isinstance(record.return_value, dict) and record.return_value["trade_date"] == day
        assert await queued_count(system, execution_id) == 1


async def test_a_cancelled_backfill_starts_no_more_days(system: EmbeddedSystem) -> None:
    backfill_id = await request(system, max_parallel=1, duration_s=2)
    first = backfill_execution_id(backfill_id, DAYS[0])

    async def running() -> bool:
        record = await system.store.get_execution(first)
        return record is not None and record.status == "running"

    await wait_until(running, timeout=20, message="the first day to run")
    await system.bus.publish(
        CancelBackfill(producer="test", actor="ops", job_id=CANARY, backfill_id=backfill_id)
    )
    ended = await reach(system, backfill_id, {"cancelled"})
    assert ended.counts == {"done": 0, "failed": 0, "cancelled": 5}
    assert ended.runs == {DAYS[0]: "cancelled"}
    for day in DAYS[1:]:
        assert await system.store.get_execution(backfill_execution_id(backfill_id, day)) is None


async def test_a_backfill_survives_a_restart_of_the_scheduler(system: EmbeddedSystem) -> None:
    backfill_id = await request(system, max_parallel=1, duration_s=0.5)
    second = backfill_execution_id(backfill_id, DAYS[1])

    async def second_started() -> bool:
        return await system.store.get_execution(second) is not None

    await wait_until(second_started, timeout=20, message="the second day to start")
    await system.scheduler.stop()
    successor = build_scheduler(
        system.settings,
        bus=system.bus,
        store=system.store,
        claims=system.scheduler.claims,
        scheduler_id="next",
    )
    await successor.start()
    try:
        await successor.elected.wait()
        done = await reach(system, backfill_id, {"finished"})
    finally:
        await successor.stop()
    assert done.runs == dict.fromkeys(DAYS, "success")
    for day in DAYS:
        assert await queued_count(system, backfill_execution_id(backfill_id, day)) == 1
