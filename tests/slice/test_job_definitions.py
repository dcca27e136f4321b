"""Jobs as data in one process: create → it fires → change → the next fire follows the new trigger →
delete; a catalogue job changed and reset; a stale version refused. Commands go on the bus as the API
sends them; the read models are what the projector made of the scheduler's answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from contracts.commands import ChangeJob
from contracts.commands import CreateJob
from contracts.commands import DeleteJob
from contracts.commands import JobPolicy
from contracts.commands import ResetJob
from contracts.envelope import Command
from domain.records import JobRecord
from infrastructure.store.port import ExecutionQuery
from infrastructure.store.port import HistoryQuery
from services.embedded.system import EmbeddedSystem
from tests.jobs import embedded_settings
from tests.waiting import wait_until

JOB = "canary_every_second"


@pytest.fixture
async def system(tmp_path: Path) -> AsyncIterator[EmbeddedSystem]:
    settings = embedded_settings(
        data_dir=tmp_path, bus="memory", store="sqlite", heartbeat_interval_s=0.2, trigger_min_interval_s=1
    )
    running = EmbeddedSystem(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


def command(cls: type[Command], **fields: Any) -> Command:
    return cls(producer="test", actor="admin", **fields)


async def job_at(system: EmbeddedSystem, job_id: str, version: int) -> JobRecord:
    async def shown() -> bool:
        job = await system.store.get_job(job_id)
        return job is not None and job.job_version >= version

    await wait_until(shown, timeout=15, message=f"{job_id} at version {version}")
    job = await system.store.get_job(job_id)
    assert job is not None
    return job


async def runs_of(system: EmbeddedSystem, job_id: str) -> list[Any]:
    page, _total = await system.store.list_executions(ExecutionQuery(job_id=job_id, limit=200))
    return [record for record in page if not record.is_manual]


async def test_create_fire_change_delete(system: EmbeddedSystem) -> None:
    await wait_until(lambda: system.scheduler.elected.is_set(), timeout=15)
    create = command(
        CreateJob,
        job_id=JOB,
        job_kind="pipeline_canary",
        trigger="interval:1",
        kwargs={"duration_s": 0, "steps": 1},
        display_name="每秒自检",
        policy=JobPolicy(overlap="allow", max_concurrent=5),
    )
    await system.bus.publish(create)
    created = await job_at(system, JOB, 1)
    assert created.origin == "created" and created.created_by == "admin" and not created.paused
    assert created.definition is not None and created.definition["trigger"] == "interval:1"
    view = await system.store.get_job_view(JOB)
    assert view is not None and view.metadata is not None and view.metadata.display_name == "每秒自检"

    async def fired() -> bool:
        return len(await runs_of(system, JOB)) >= 2

    await wait_until(fired, timeout=15, message="two scheduled runs of the created job")
    await system.bus.publish(create)  # delivered again: still one job, same version
    await system.bus.publish(command(ChangeJob, job_id=JOB, expected_version=1, trigger="0 0 1 1 *"))
    changed = await job_at(system, JOB, 2)
    assert changed.definition is not None and changed.definition["trigger"] == "0 0 1 1 *"

    async def rescheduled() -> bool:
        job = await system.store.get_job(JOB)
        soon = changed.updated_at + timedelta(days=1)  # the old trigger fired every second
        return job is not None and job.next_run_time is not None and job.next_run_time > soon

    await wait_until(rescheduled, timeout=15, message="the next run under the new trigger")
    after_change = {record.execution_id for record in await runs_of(system, JOB)}
    changed_at = changed.updated_at
    late = [r for r in await runs_of(system, JOB) if r.scheduled_time and r.scheduled_time > changed_at]
    assert late == [], "no fire of the old trigger after the change"

    await system.bus.publish(
        command(ChangeJob, job_id=JOB, expected_version=1, trigger="interval:1")
    )  # stale
    await system.bus.publish(command(DeleteJob, job_id=JOB, cancel_running=True))
    deleted = await job_at(system, JOB, 3)
    assert deleted.deleted and deleted.next_run_time is None
    assert deleted.definition is not None and deleted.definition["trigger"] == "0 0 1 1 *"
    assert {record.execution_id for record in await runs_of(system, JOB)} >= after_change  # still readable
    history, _ = await system.store.list_history(HistoryQuery(job_id=JOB, limit=50))
    actions = [(entry.action, entry.status) for entry in history]
    assert ("create", "success") in actions and ("change", "success") in actions
    assert ("change", "failed") in actions  # the stale change, refused with its reason
    assert ("delete_job", "success") in actions

    # Created again under the same id: a new incarnation, never the old execution ids.
    await system.bus.publish(command(CreateJob, job_id=JOB, job_kind="pipeline_canary", trigger="interval:1"))
    again = await job_at(system, JOB, 4)
    assert not again.deleted and again.incarnation != created.incarnation

    async def fired_again() -> bool:
        return len(await runs_of(system, JOB)) > len(after_change)

    await wait_until(fired_again, timeout=15, message="a run of the new incarnation")
    ids = [record.execution_id for record in await runs_of(system, JOB)]
    assert len(ids) == len(set(ids))


async def test_catalogue_job_changed_then_reset(system: EmbeddedSystem) -> None:
    canary = "pipeline_canary"
    await job_at(system, canary, 0)
    await system.bus.publish(command(ChangeJob, job_id=canary, kwargs={"steps": 2}, trigger="0 3 * * *"))
    changed = await job_at(system, canary, 1)
    assert changed.definition is not None and changed.definition["kwargs"] == {"steps": 2}
    assert changed.kwargs == {"steps": 2} and changed.origin == "catalogue"
    await system.bus.publish(command(DeleteJob, job_id=canary))  # refused: pause it instead
    await system.bus.publish(command(ResetJob, job_id=canary, expected_version=1))
    reset = await job_at(system, canary, 2)
    assert reset.definition is not None and reset.definition["trigger"] == "interval:300"
    assert reset.kwargs == {"duration_s": 2, "steps": 4} and not reset.deleted
    history, _ = await system.store.list_history(HistoryQuery(job_id=canary, limit=50))
    refused = [entry for entry in history if entry.action == "delete_job"]
    assert (
        refused and refused[0].status == "failed" and "pause it instead" in (refused[0].error_message or "")
    )
    assert timedelta(0) <= reset.updated_at - changed.updated_at
