"""Scheduled fires: deterministic execution ids, late fires recorded as missed (never dropped)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import cast

from domain.records import ExecutionRecord
from domain.scheduling.fire import scheduled_execution_id
from infrastructure.bus.leadership import InProcessElection
from infrastructure.store.port import ExecutionQuery
from infrastructure.store.port import Store
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


class LookupSpy:
    """The store, with its execution lookups recorded."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.single: list[str] = []
        self.batches: list[set[str]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def get_execution(self, execution_id: str) -> ExecutionRecord | None:
        self.single.append(execution_id)
        return await self._store.get_execution(execution_id)

    async def get_executions(self, execution_ids: Collection[str]) -> dict[str, ExecutionRecord]:
        self.batches.append(set(execution_ids))
        return await self._store.get_executions(execution_ids)


async def test_jobs_due_at_one_instant_are_decided_with_one_lookup(pipeline: EmbeddedSystem) -> None:
    jobs = {f"burst_{n}": replace(EVERY_SECOND, job_id=f"burst_{n}") for n in range(5)}
    store = LookupSpy(pipeline.store)
    scheduler = SchedulerService(
        bus=pipeline.bus,
        store=cast(Store, store),
        election=InProcessElection("test-leader"),
        definitions=jobs,
        settings=pipeline.settings,
        scheduler_id="test",
    )
    await scheduler.start()
    try:

        async def every_job_succeeded() -> bool:
            items, _ = await pipeline.store.list_executions(ExecutionQuery(status="success"))
            return {item.job_id for item in items} >= set(jobs)

        await wait_until(every_job_succeeded, timeout=15, message="a success of every job")
    finally:
        await scheduler.stop()
    assert store.single == []  # no lookup per fire
    instants = {
        frozenset(scheduled_execution_id(job_id, item.scheduled_time) for job_id in jobs)
        for item in (await pipeline.store.list_executions(ExecutionQuery(status="success")))[0]
        if item.scheduled_time is not None
    }
    assert any(instant <= lookup for instant in instants for lookup in store.batches)
