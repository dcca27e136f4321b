"""Run lifecycle on real processes and RabbitMQ: lost workers, forced cancel, scheduler fail-over."""

from __future__ import annotations

import itertools
import time
from collections import Counter
from datetime import UTC
from datetime import datetime

import pytest

from contracts.topology import RUNS_QUEUE
from infrastructure.store.port import EventQuery
from infrastructure.store.port import ExecutionQuery
from infrastructure.store.sqlite_store import SQLiteStore
from tests.e2e.harness import ApiClient
from tests.lifecycle.conftest import Cluster
from tests.rabbitmq import RabbitMQVhost
from tests.rabbitmq import rabbitmqctl
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

CANARY = "pipeline_canary"


async def events_of(store: SQLiteStore, **filters: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    offset = 0
    while True:
        page, total = await store.list_events(EventQuery(limit=500, offset=offset, **filters))  # type: ignore[arg-type]
        found.extend(page)
        offset += len(page)
        if not page or offset >= total:
            return found


async def test_a_killed_worker_is_detected_by_heartbeat_and_the_run_is_retried(
    cluster: Cluster, api: ApiClient
) -> None:
    retries = {
        "SCHEDULER_JOBS__pipeline_canary__MAX_ATTEMPTS": "2",
        "SCHEDULER_JOBS__pipeline_canary__RETRY_BACKOFF_S": "0.5",
    }
    cluster.start("services.projector", "projector")
    cluster.start("services.scheduler", "scheduler", **retries)
    doomed = cluster.start("services.workers", "worker-doomed", SCHEDULER_WORKER_CAPACITY="1")
    await api.wait_for_job(CANARY)
    execution_id = await api.trigger(CANARY, duration_s=4, steps=8)
    running = await api.wait_for_execution(execution_id, {"running"})
    assert running["status"] == "running"
    # The only worker dies in the middle of the run; a second one is there for the retry.
    survivor = cluster.start("services.workers", "worker-survivor")
    doomed.kill()
    killed_at = time.monotonic()
    retried = await api.wait_for_execution(execution_id, {"queued", "failed"}, timeout=20)
    detection_s = time.monotonic() - killed_at
    assert detection_s < 2 * 3, f"lost run declared after {detection_s:.1f} s (timeout 3 s)"
    assert "worker lost" in (retried.get("error_message") or "")
    done = await api.wait_for_execution(execution_id, {"success", "failed"}, timeout=30)
    assert done["status"] == "success", done
    assert survivor.popen.poll() is None
    detail = await api.data("GET", f"/api/scheduler/executions/{execution_id}/events")
    types = [event["type"] for event in (detail["items"] if isinstance(detail, dict) else detail)]
    assert types.count("JobStarted") == 2 and "AttemptFailed" in types


async def test_without_retries_a_lost_run_ends_failed_worker_lost(cluster: Cluster, api: ApiClient) -> None:
    cluster.start("services.projector", "projector")
    cluster.start("services.scheduler", "scheduler")
    worker = cluster.start("services.workers", "worker")
    await api.wait_for_job(CANARY)
    execution_id = await api.trigger(CANARY, duration_s=30, steps=30)
    await api.wait_for_execution(execution_id, {"running"})
    worker.kill()
    killed_at = time.monotonic()
    failed = await api.wait_for_execution(execution_id, {"failed"}, timeout=20)
    assert time.monotonic() - killed_at < 2 * 3
    assert failed["error_message"].startswith("worker lost")


async def unacknowledged(vhost: RabbitMQVhost, queue: str) -> int:
    listing = await rabbitmqctl(
        "list_queues", "-p", vhost.name, "--no-table-headers", "name", "messages_unacknowledged"
    )
    counts = dict(line.split() for line in listing.splitlines() if line.strip())
    return int(counts.get(queue, 0))


async def test_a_cancel_stops_a_long_run_by_force_within_the_grace_period(
    cluster: Cluster, api: ApiClient, fresh_rabbitmq_vhost: RabbitMQVhost
) -> None:
    cluster.start("services.projector", "projector")
    cluster.start("services.scheduler", "scheduler")
    cluster.start("services.workers", "worker")
    await api.wait_for_job(CANARY)
    # 60 s in 2 steps: the job's own check points are 30 s apart, so only the forced stop can be in time.
    execution_id = await api.trigger(CANARY, duration_s=60, steps=2)
    await api.wait_for_execution(execution_id, {"running"})

    # No delivery stays open while a long run goes on (acknowledged after SCHEDULER_HOLD_DELIVERY_S=1):
    # runs longer than RabbitMQ's consumer_timeout are safe.
    async def acknowledged() -> bool:
        return await unacknowledged(fresh_rabbitmq_vhost, RUNS_QUEUE) == 0

    await wait_until(acknowledged, timeout=10, interval=0.2)
    asked_at = time.monotonic()
    await api.data("POST", f"/api/scheduler/executions/{execution_id}/cancel")
    # The API answers once the command is confirmed by the broker; the flag shows once it is projected.
    pending = await api.wait_for_execution_where(
        execution_id, lambda execution: execution["cancel_requested"] is True, "to show the cancel request"
    )
    assert pending["status"] in {"running", "cancelled"}, pending
    cancelled = await api.wait_for_execution(execution_id, {"cancelled"}, timeout=15)
    elapsed = time.monotonic() - asked_at
    assert elapsed < 2 + 3, f"cancelled after {elapsed:.1f} s (grace period 2 s)"
    assert cancelled["cancel_requested"] is True


@pytest.mark.timeout(360)
async def test_two_schedulers_fire_every_second_exactly_once_and_fail_over(
    cluster: Cluster, store: SQLiteStore
) -> None:
    every_second = {
        "SCHEDULER_JOBS__pipeline_canary__TRIGGER": "interval:1",
        "SCHEDULER_JOBS__pipeline_canary__ENABLED": "true",
        "SCHEDULER_JOBS__pipeline_canary__KWARGS": '{"duration_s": 0, "steps": 1}',
    }
    cluster.start("services.projector", "projector")
    cluster.start("services.workers", "worker")
    first = cluster.start("services.scheduler", "scheduler-a", **every_second)
    second = cluster.start("services.scheduler", "scheduler-b", **every_second)

    async def fires(count: int) -> bool:
        _, total = await store.list_executions(ExecutionQuery(job_id=CANARY, status="success"))
        return total >= count

    # Two minutes with both schedulers up (the issue asks for two minutes), then the leader dies.
    await wait_until(lambda: fires(120), timeout=180, interval=0.5, message="120 fires")
    leader = await active_scheduler(store)
    doomed, survivor_name = (first, "scheduler-b") if leader == "scheduler-a" else (second, "scheduler-a")
    doomed.kill()
    killed_at = datetime.now(UTC)

    async def survivor_fired() -> bool:
        queued = await events_of(store, type="RunQueued")
        return any(
            event["producer"] == f"scheduler:{survivor_name}"
            and str(event["occurred_at"]) > killed_at.isoformat()
            for event in queued
        )

    await wait_until(survivor_fired, timeout=15, interval=0.2, message="the standby to fire")
    takeover_s = (datetime.now(UTC) - killed_at).total_seconds()
    _, before = await store.list_executions(ExecutionQuery(job_id=CANARY))
    await wait_until(lambda: fires(before + 10), timeout=30, interval=0.2, message="10 more fires")

    queued = Counter(str(event["execution_id"]) for event in await events_of(store, type="RunQueued"))
    started = Counter(str(event["execution_id"]) for event in await events_of(store, type="JobStarted"))
    assert max(queued.values()) == 1, "a fire was queued twice"
    assert max(started.values()) == 1, "a run was started twice"
    items, total = await store.list_executions(ExecutionQuery(job_id=CANARY, limit=200))
    times = sorted(item.scheduled_time for item in items if item.scheduled_time is not None)
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(times)]
    assert all(abs(gap - 1.0) < 0.01 for gap in gaps), f"every second accounted for once: {gaps}"
    statuses = Counter(item.status for item in items)
    assert set(statuses) <= {"success", "missed", "running", "queued"}, statuses
    print(f"take-over after leader kill: {takeover_s:.2f} s; fires: {dict(statuses)} of {total}")


async def active_scheduler(store: SQLiteStore) -> str:
    states = [state for state in await store.list_scheduler_states() if state.active and state.state == 1]
    assert len(states) == 1, states
    return states[0].scheduler_id
