"""Every fire accounted for once, on real processes and RabbitMQ: a `TriggerJob` delivered twice, and a
fire whose instant fell while no scheduler led."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest

from contracts.commands import TriggerJob
from domain.scheduling.fire import scheduled_execution_id
from infrastructure.bus.rabbitmq_bus import RabbitMQBus
from infrastructure.store.port import EventQuery
from infrastructure.store.sqlite_store import SQLiteStore
from tests.lifecycle.conftest import Cluster
from tests.rabbitmq import RabbitMQVhost
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

CANARY = "pipeline_canary"


@pytest.fixture
async def publisher(fresh_rabbitmq_vhost: RabbitMQVhost) -> AsyncIterator[RabbitMQBus]:
    bus = RabbitMQBus(fresh_rabbitmq_vhost.url, connection_name="test-publisher")
    await bus.start()
    try:
        yield bus
    finally:
        await bus.close()


async def status_of(store: SQLiteStore, execution_id: str) -> str | None:
    record = await store.get_execution(execution_id)
    return record.status if record is not None else None


async def test_a_trigger_job_delivered_twice_runs_once_and_ends_success(
    cluster: Cluster, store: SQLiteStore, publisher: RabbitMQBus
) -> None:
    skip = {"SCHEDULER_JOBS__pipeline_canary__OVERLAP": "skip"}
    cluster.start("services.projector", "projector")
    cluster.start("services.workers", "worker")
    cluster.start("services.scheduler", "scheduler", **skip)

    async def registered() -> bool:
        return await store.get_job(CANARY) is not None

    await wait_until(registered, timeout=60, message="the scheduler to register the canary")
    command = TriggerJob(
        producer="test", actor="ops", job_id=CANARY, execution_id=uuid.uuid4().hex, kwargs={"duration_s": 1}
    )
    await publisher.publish(command)
    await publisher.publish(command)  # the same command again, as a redelivery after a crash would

    async def ended() -> bool:
        return await status_of(store, command.execution_id) in ("success", "failed", "skipped")

    await wait_until(ended, timeout=30, message="the triggered run to end")
    assert await status_of(store, command.execution_id) == "success"
    events, _ = await store.list_events(EventQuery(execution_id=command.execution_id))
    kinds = [event["type"] for event in events]
    assert kinds.count("RunQueued") == 1 and kinds.count("JobStarted") == 1 and "JobSkipped" not in kinds


async def test_a_fire_that_fell_into_a_failover_runs_within_its_grace_time(
    cluster: Cluster, store: SQLiteStore
) -> None:
    every_five = {
        "SCHEDULER_JOBS__pipeline_canary__TRIGGER": "interval:5",
        "SCHEDULER_JOBS__pipeline_canary__ENABLED": "true",
        "SCHEDULER_JOBS__pipeline_canary__MISFIRE_GRACE_TIME": "120",
        "SCHEDULER_JOBS__pipeline_canary__KWARGS": '{"duration_s": 0, "steps": 1}',
    }
    cluster.start("services.projector", "projector")
    cluster.start("services.workers", "worker")
    first = cluster.start("services.scheduler", "scheduler-a", **every_five)

    async def scheduled() -> bool:
        job = await store.get_job(CANARY)
        return job is not None and job.next_run_time is not None and not job.paused

    await wait_until(scheduled, timeout=60, message="the canary to be scheduled")
    first.kill()  # the leader dies; no scheduler leads while the next instant comes
    job = await store.get_job(CANARY)
    assert job is not None and job.next_run_time is not None
    fell_in = job.next_run_time

    async def instant_passed() -> bool:
        return datetime.now(UTC) > fell_in + timedelta(seconds=1)

    await wait_until(instant_passed, timeout=15, message="the instant to pass with no leader")
    cluster.start("services.scheduler", "scheduler-b", **every_five)
    execution_id = scheduled_execution_id(CANARY, fell_in)

    async def decided() -> bool:
        return await status_of(store, execution_id) in ("success", "missed", "skipped", "failed")

    await wait_until(decided, timeout=60, message="the fire that fell into the failover to be decided")
    assert await status_of(store, execution_id) == "success", "within its grace time: run, not missed"
