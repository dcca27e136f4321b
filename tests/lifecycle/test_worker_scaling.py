"""Workers scale out: several processes share the run queue, pools keep heavy kinds apart, shutdown hands
unfinished runs back. Real processes on RabbitMQ."""

from __future__ import annotations

import asyncio
from collections import Counter

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


async def run_queue_consumers(vhost: RabbitMQVhost, expected: int) -> bool:
    """Whether the default pool's run queue has `expected` consumers (one per worker process)."""
    listing = await rabbitmqctl("list_queues", "-p", vhost.name, "--no-table-headers", "name", "consumers")
    counts = dict(line.split() for line in listing.splitlines() if line.strip())
    return int(counts.get(RUNS_QUEUE, 0)) == expected


async def test_three_workers_share_thirty_runs_and_none_runs_twice(
    cluster: Cluster, api: ApiClient, store: SQLiteStore, fresh_rabbitmq_vhost: RabbitMQVhost
) -> None:
    cluster.start("services.projector", "projector")
    cluster.start("services.scheduler", "scheduler")
    for number in range(3):
        cluster.start("services.workers", f"worker-{number}", SCHEDULER_WORKER_CAPACITY="2")
    await api.wait_for_job(CANARY)
    # A worker that started late would find the runs taken by the others: trigger once all three consume.
    await wait_until(
        lambda: run_queue_consumers(fresh_rabbitmq_vhost, 3),
        timeout=60,
        interval=0.2,
        message=f"three workers consuming {RUNS_QUEUE}",
    )
    execution_ids = await asyncio.gather(*(api.trigger(CANARY, duration_s=0.3, steps=2) for _ in range(30)))

    async def all_done() -> bool:
        _, total = await store.list_executions(ExecutionQuery(job_id=CANARY, status="success"))
        return total == 30

    await wait_until(all_done, timeout=60, interval=0.2, message="30 successful runs")
    started, _ = await store.list_events(EventQuery(type="JobStarted", limit=500))
    per_execution = Counter(event["execution_id"] for event in started)
    assert set(per_execution) == set(execution_ids)
    assert set(per_execution.values()) == {1}, "a run started twice"
    workers = Counter(str(event["producer"]) for event in started)
    assert len(workers) == 3, f"every worker took a share: {workers}"


async def test_a_pool_worker_takes_only_its_kinds_and_runs_wait_for_it(
    cluster: Cluster, api: ApiClient, store: SQLiteStore
) -> None:
    pools = {"SCHEDULER_WORKER_POOLS": '{"canary": ["pipeline_canary"]}'}
    cluster.start("services.projector", "projector", **pools)
    cluster.start("services.scheduler", "scheduler", **pools)
    cluster.start("services.workers", "worker-default", **pools)
    await api.wait_for_job(CANARY)
    execution_id = await api.trigger(CANARY, duration_s=0)
    queued = await api.wait_for_execution(execution_id, {"queued", "running", "success"})
    assert queued["status"] == "queued", "the default pool's worker must not take a canary run"
    cluster.start("services.workers", "worker-canary", SCHEDULER_WORKER_POOL="canary", **pools)
    done = await api.wait_for_execution(execution_id, {"success"}, timeout=30)
    assert done["status"] == "success"
    started, _ = await store.list_events(EventQuery(type="JobStarted", execution_id=execution_id))
    assert [event["producer"] for event in started] == ["worker:worker-canary"]


async def test_a_worker_shut_down_mid_run_hands_the_run_back(
    cluster: Cluster, api: ApiClient, store: SQLiteStore
) -> None:
    cluster.start("services.projector", "projector")
    cluster.start("services.scheduler", "scheduler")
    leaving = cluster.start("services.workers", "worker-leaving", SCHEDULER_SHUTDOWN_GRACE_S="0.5")
    await api.wait_for_job(CANARY)
    execution_id = await api.trigger(CANARY, duration_s=3, steps=6)
    await api.wait_for_execution(execution_id, {"running"})
    cluster.start("services.workers", "worker-staying")
    leaving.stop()  # SIGTERM: graceful
    done = await api.wait_for_execution(execution_id, {"success", "failed"}, timeout=30)
    assert done["status"] == "success", done
    events, _ = await store.list_events(EventQuery(execution_id=execution_id))
    handed = [event for event in events if event["type"] == "AttemptFailed"]
    assert len(handed) == 1 and handed[0]["reason"] == "handed_back"
    starts = [event["producer"] for event in events if event["type"] == "JobStarted"]
    assert starts == ["worker:worker-leaving", "worker:worker-staying"]
