"""Scheduled fires: deterministic execution ids, late fires recorded as missed (never dropped)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.scheduling.fire import scheduled_execution_id
from infrastructure.bus.leadership import InProcessElection
from infrastructure.store.port import ExecutionQuery
from services.embedded.system import EmbeddedSystem
from services.scheduler.definitions import JobDefinition
from services.scheduler.service import SchedulerService
from tests.waiting import wait_until

EVERY_SECOND = JobDefinition(
    job_id="every_second",
    name="每秒",
    job_kind="pipeline_canary",
    trigger="interval:1",
    kwargs={"duration_s": 0},
    misfire_grace_time=5,
)


def scheduler_for(system: EmbeddedSystem, *, clock_offset: timedelta = timedelta()) -> SchedulerService:
    return SchedulerService(
        bus=system.bus,
        store=system.store,
        election=InProcessElection("test-leader"),
        definitions={EVERY_SECOND.job_id: EVERY_SECOND},
        settings=system.settings,
        scheduler_id="test",
        clock=lambda: datetime.now(UTC) + clock_offset,
    )


async def test_an_interval_job_runs_with_deterministic_ids(pipeline: EmbeddedSystem) -> None:
    scheduler = scheduler_for(pipeline)
    await scheduler.start()
    try:

        async def two_successes() -> bool:
            items, _ = await pipeline.store.list_executions(
                ExecutionQuery(job_id=EVERY_SECOND.job_id, status="success")
            )
            return len(items) >= 2

        await wait_until(two_successes, timeout=10)
    finally:
        await scheduler.stop()
    items, _ = await pipeline.store.list_executions(ExecutionQuery(job_id=EVERY_SECOND.job_id))
    for item in items:
        assert item.scheduled_time is not None and not item.is_manual
        assert item.execution_id == scheduled_execution_id(EVERY_SECOND.job_id, item.scheduled_time)
    job = await pipeline.store.get_job(EVERY_SECOND.job_id)
    assert job is not None and not job.paused


async def test_a_fire_later_than_the_grace_time_is_recorded_missed(pipeline: EmbeddedSystem) -> None:
    scheduler = scheduler_for(pipeline, clock_offset=timedelta(seconds=EVERY_SECOND.misfire_grace_time + 60))
    await scheduler.start()
    try:

        async def missed() -> bool:
            _, total = await pipeline.store.list_executions(
                ExecutionQuery(job_id=EVERY_SECOND.job_id, status="missed")
            )
            return total >= 1

        await wait_until(missed, timeout=10)
    finally:
        await scheduler.stop()
    items, _ = await pipeline.store.list_executions(ExecutionQuery(job_id=EVERY_SECOND.job_id))
    assert {item.status for item in items} == {"missed"}
    assert items[0].error_message is not None and "misfire grace time (5 s)" in items[0].error_message
