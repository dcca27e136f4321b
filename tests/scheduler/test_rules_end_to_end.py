"""Issue-27 rules end to end on the embedded pipeline (projector, worker, store; the scheduler under test):
a redelivered `TriggerJob`, a queued run whose delivery was lost across a restart, a fire that fell
into a failover."""

from __future__ import annotations

import uuid
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from contracts.commands import TriggerJob
from contracts.events import RunQueued
from domain.run_policy import RunPolicy
from domain.scheduling.fire import scheduled_execution_id
from infrastructure.bus.leadership import InProcessElection
from infrastructure.store.port import EventQuery
from services.embedded.system import EmbeddedSystem
from services.scheduler.definitions import JobDefinition
from services.scheduler.service import SchedulerService
from tests.waiting import wait_until

ONE_AT_A_TIME = JobDefinition(
    job_id="one_at_a_time",
    name="一次一个",
    job_kind="pipeline_canary",
    trigger="interval:3600",
    kwargs={"duration_s": 1, "steps": 2},
    enabled=False,  # only manual runs, unless a test resumes it
    policy=RunPolicy(overlap="skip"),
)
EVERY_TWO = JobDefinition(
    job_id="every_two",
    name="每两秒",
    job_kind="pipeline_canary",
    trigger="interval:2",
    kwargs={"duration_s": 0},
    misfire_grace_time=60,
    coalesce=False,
)


def scheduler_for(
    system: EmbeddedSystem, job: JobDefinition, name: str, **settings: float
) -> SchedulerService:
    return SchedulerService(
        bus=system.bus,
        store=system.store,
        election=InProcessElection(f"leader-{name}"),
        definitions={job.job_id: job},
        settings=system.settings.model_copy(update=settings),
        scheduler_id=name,
    )


async def status_of(system: EmbeddedSystem, execution_id: str) -> str | None:
    record = await system.store.get_execution(execution_id)
    return record.status if record is not None else None


async def event_types(system: EmbeddedSystem, execution_id: str) -> list[str]:
    events, _ = await system.store.list_events(EventQuery(execution_id=execution_id))
    return [event["type"] for event in events if not event["type"].startswith("Alert")]


async def test_a_redelivered_trigger_job_leaves_its_run_alone(pipeline: EmbeddedSystem) -> None:
    scheduler = scheduler_for(pipeline, ONE_AT_A_TIME, "redelivery")
    await scheduler.start()
    try:
        await scheduler.elected.wait()
        command = TriggerJob(
            producer="t", actor="ops", job_id=ONE_AT_A_TIME.job_id, execution_id=uuid.uuid4().hex
        )
        await pipeline.bus.publish(command)
        await pipeline.bus.publish(command)  # what at-least-once delivery does after a crash

        async def ended() -> bool:
            return await status_of(pipeline, command.execution_id) in ("success", "failed", "skipped")

        await wait_until(ended, timeout=20)
    finally:
        await scheduler.stop()
    assert await status_of(pipeline, command.execution_id) == "success"
    kinds = await event_types(pipeline, command.execution_id)
    assert kinds.count("RunQueued") == 1 and "JobSkipped" not in kinds


async def test_a_queued_run_whose_delivery_was_lost_is_sent_again_by_the_next_leader(
    pipeline: EmbeddedSystem,
) -> None:
    # A leader queued a run and went away before its request reached the workers (the embedded mode's
    # in-process queue died with it): only the `RunQueued` is left.
    execution_id = uuid.uuid4().hex
    await pipeline.bus.publish(
        RunQueued(
            producer="scheduler:gone",
            job_id=ONE_AT_A_TIME.job_id,
            execution_id=execution_id,
            job_name=ONE_AT_A_TIME.name,
            scheduled_time=datetime.now(UTC),
            kwargs={"duration_s": 0},
        )
    )

    async def queued() -> bool:
        return await status_of(pipeline, execution_id) == "queued"

    await wait_until(queued, timeout=10)
    scheduler = scheduler_for(pipeline, ONE_AT_A_TIME, "next", queued_run_redispatch_s=0.5)
    await scheduler.start()
    try:

        async def ran() -> bool:
            return await status_of(pipeline, execution_id) == "success"

        await wait_until(ran, timeout=20, message="the queued run to be sent again and run")
    finally:
        await scheduler.stop()


async def test_a_fire_that_fell_into_a_failover_runs_within_its_grace_time(pipeline: EmbeddedSystem) -> None:
    first = scheduler_for(pipeline, EVERY_TWO, "first")
    await first.start()
    try:

        async def one_run() -> bool:
            job = await pipeline.store.get_job(EVERY_TWO.job_id)
            return job is not None and job.next_run_time is not None

        await wait_until(one_run, timeout=15)
    finally:
        await first.stop()
    job = await pipeline.store.get_job(EVERY_TWO.job_id)
    assert job is not None and job.next_run_time is not None
    fell_in = job.next_run_time

    async def instant_passed() -> bool:
        return datetime.now(UTC) > fell_in + timedelta(seconds=0.5)

    await wait_until(instant_passed, timeout=10)
    second = scheduler_for(pipeline, EVERY_TWO, "second")
    await second.start()
    try:
        execution_id = scheduled_execution_id(EVERY_TWO.job_id, fell_in)

        async def ran() -> bool:
            return await status_of(pipeline, execution_id) in ("success", "missed")

        await wait_until(ran, timeout=15)
    finally:
        await second.stop()
    assert await status_of(pipeline, execution_id) == "success", "within its grace time: run, not missed"
