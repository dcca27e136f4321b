"""A fire waiting for its upstream jobs (`policy.after`) on the embedded pipeline, across a change of leader:
the new leader reloads the waiting fire from the read model and runs it (once, under its own execution id)
when the upstream succeeds."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from contracts.commands import TriggerJob
from domain.records import ExecutionRecord
from infrastructure.bus.leadership import InProcessElection
from infrastructure.store.port import EventQuery
from infrastructure.store.port import ExecutionQuery
from services.embedded.settings import EmbeddedSettings
from services.embedded.system import EmbeddedSystem
from services.scheduler.service import SchedulerService
from tests.scheduler.canary_jobs import by_hand
from tests.scheduler.canary_jobs import waiting_for
from tests.waiting import wait_until

UPSTREAM = by_hand("upstream_canary", "上游", overlapping=True, steps=1)
WAITER = waiting_for(UPSTREAM, "waiting_canary", "等上游", steps=1)
JOBS = {job.job_id: job for job in (UPSTREAM, WAITER)}


@pytest.fixture
async def pipeline(tmp_path: Path) -> AsyncIterator[EmbeddedSystem]:
    system = EmbeddedSystem(EmbeddedSettings(data_dir=tmp_path, _env_file=None))
    await system.start()
    await system.scheduler.stop()
    try:
        yield system
    finally:
        await system.stop()


def scheduler_for(system: EmbeddedSystem, name: str) -> SchedulerService:
    return SchedulerService(
        bus=system.bus,
        store=system.store,
        election=InProcessElection(f"leader-{name}"),
        definitions=JOBS,
        settings=system.settings,
        scheduler_id=name,
    )


async def waiting_record(system: EmbeddedSystem) -> ExecutionRecord:
    found: list[ExecutionRecord] = []

    async def listed() -> bool:
        page, _ = await system.store.list_executions(ExecutionQuery(job_id=WAITER.job_id, status="waiting"))
        found[:] = page
        return bool(page)

    await wait_until(listed, timeout=20, message="a fire to wait")
    return found[0]


async def test_a_new_leader_runs_the_fire_the_old_one_left_waiting(pipeline: EmbeddedSystem) -> None:
    first = scheduler_for(pipeline, "first")
    await first.start()
    try:
        await first.elected.wait()
        waiting = await waiting_record(pipeline)
    finally:
        await first.stop()
    assert waiting.waiting_for == [UPSTREAM.job_id] and waiting.wait_until is not None
    second = scheduler_for(pipeline, "second")  # knows the waiting fire from the read model only
    await second.start()
    try:
        await second.elected.wait()
        upstream = TriggerJob(
            producer="t", actor="ops", job_id=UPSTREAM.job_id, execution_id=uuid.uuid4().hex, kwargs={}
        )
        await pipeline.bus.publish(upstream)

        async def ran() -> bool:
            record = await pipeline.store.get_execution(waiting.execution_id)
            return record is not None and record.status == "success"

        await wait_until(ran, timeout=20, message=f"{waiting.execution_id} to run")
    finally:
        await second.stop()
    events, _ = await pipeline.store.list_events(EventQuery(execution_id=waiting.execution_id))
    types = [event["type"] for event in events if not event["type"].startswith("Alert")]
    assert types.count("RunWaiting") == 1 and types.count("RunQueued") == 1
    finished = [
        event
        for event in (await pipeline.store.list_events(EventQuery(execution_id=upstream.execution_id)))[0]
        if event["type"] == "JobFinished"
    ]
    queued = next(event for event in events if event["type"] == "RunQueued")
    assert queued["causation_id"] == finished[0]["message_id"]
