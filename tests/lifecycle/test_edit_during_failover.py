"""An edit made while the leader scheduler dies is applied exactly once by the one that takes over.

Real processes on RabbitMQ: the projector stopped (the jobs read model cannot have the edit), a `PATCH` of
the canary's trigger, the leader killed (SIGKILL) once its `JobChanged` is published; a new scheduler fires
under the new trigger with the projector still down; the projector started again, the event log holds one
`JobChanged` for the edit and the read model has it.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from infrastructure.store.port import EventQuery
from infrastructure.store.sqlite_store import SQLiteStore
from tests.e2e.harness import ApiClient
from tests.lifecycle.conftest import Cluster
from tests.rabbitmq import RabbitMQVhost
from tests.rabbitmq import rabbitmqctl
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

CANARY = "pipeline_canary"
HOURLY = {
    "SCHEDULER_JOBS__pipeline_canary__TRIGGER": "interval:3600",
    "SCHEDULER_JOBS__pipeline_canary__ENABLED": "true",
    "SCHEDULER_JOBS__pipeline_canary__KWARGS": '{"duration_s": 0, "steps": 1}',
}


async def queue_counts(vhost: RabbitMQVhost, queue: str) -> tuple[int, int]:
    """(ready, unacknowledged) messages of a queue."""
    listing = await rabbitmqctl(
        "list_queues",
        "-p",
        vhost.name,
        "--no-table-headers",
        "name",
        "messages_ready",
        "messages_unacknowledged",
    )
    for line in listing.splitlines():
        name, *counts = line.split()
        if name == queue:
            return int(counts[0]), int(counts[1])
    return 0, 0


async def test_an_edit_published_as_its_leader_is_killed_is_applied_once_by_the_next(
    cluster: Cluster, api: ApiClient, store: SQLiteStore, fresh_rabbitmq_vhost: RabbitMQVhost
) -> None:
    projector = cluster.start("services.projector", "projector")
    doomed = cluster.start("services.scheduler", "scheduler-a", **HOURLY)
    await api.wait_for_job(CANARY)
    before = await api.data("GET", f"/api/scheduler/jobs/{CANARY}/definition")
    version = int(before["version"])
    projector.stop()
    changed = await api.http.patch(
        f"/api/scheduler/jobs/{CANARY}", json={"trigger": "interval:10"}, params={"wait": "false"}
    )
    assert changed.status_code in (200, 202), changed.text

    async def published() -> bool:  # held by the leader until the read model has it: published, then
        return (await queue_counts(fresh_rabbitmq_vhost, "scheduler.definitions"))[1] >= 1

    await wait_until(published, timeout=20, interval=0.1, message="the leader's JobChanged")
    doomed.kill()
    runs_at_kill, _ = await queue_counts(fresh_rabbitmq_vhost, "workers.runs")
    stale = await store.get_job(CANARY)
    assert stale is not None and stale.job_version == version, "the read model does not have the edit"

    cluster.start("services.scheduler", "scheduler-b", **HOURLY)

    async def fires_under_the_new_trigger() -> bool:  # no worker: the runs wait in their queue
        ready, _ = await queue_counts(fresh_rabbitmq_vhost, "workers.runs")
        return ready >= runs_at_kill + 2

    await wait_until(
        fires_under_the_new_trigger, timeout=60, interval=0.5, message="fires under the new trigger"
    )
    cluster.start("services.projector", "projector-2")

    async def projected() -> bool:
        job = await store.get_job(CANARY)
        return job is not None and job.job_version == version + 1 and "0:00:10" in job.trigger

    await wait_until(projected, timeout=30, message="the read model with the edit")
    job = await store.get_job(CANARY)
    assert job is not None and job.definition is not None and job.definition["trigger"] == "interval:10"
    changes, _ = await store.list_events(EventQuery(job_id=CANARY, type="JobChanged", limit=100))
    assert len(changes) == 1, changes
    assert changes[0]["producer"] == "scheduler:scheduler-a"

    async def fired_by_new_leader() -> list[datetime]:
        queued, _ = await store.list_events(EventQuery(job_id=CANARY, type="RunQueued", limit=500))
        return sorted(
            datetime.fromisoformat(str(event["scheduled_time"]))
            for event in queued
            if event["producer"] == "scheduler:scheduler-b"
        )

    async def two_fires() -> bool:
        return len(await fired_by_new_leader()) >= 2

    await wait_until(two_fires, timeout=30, message="the new leader's fires in the event log")
    first, second = (await fired_by_new_leader())[:2]
    assert (second - first).total_seconds() == 10.0, (first, second)
