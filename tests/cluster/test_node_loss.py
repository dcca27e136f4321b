"""A RabbitMQ node of three is lost while the system works: nothing is lost, doubled or stuck.

Real processes (API, projector, two schedulers, two workers) on three clustered private nodes; every
durable queue is a quorum queue (replicated on the three), every process has the three URLs. Three faults:
`kill -9` of the node leading the run queue with 100 runs in flight; a node stopped for 30 s (while runs
are triggered) and started again; the node of the leading scheduler killed. After each: every accepted run
successful, none declared lost, no `JobFinished` stored twice, and `replay --verify` identical.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.cluster.conftest import ClusterSystem
from tests.e2e.harness import ApiClient
from tests.outage.conftest import record_figures
from tests.outage.test_broker_outage import CANARY
from tests.outage.test_broker_outage import all_terminal
from tests.outage.test_broker_outage import check_the_log
from tests.outage.test_broker_outage import leader
from tests.outage.test_broker_outage import leads
from tests.outage.test_broker_outage import statuses
from tests.private_cluster import ClusterNode
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.timeout(420)]

STOPPED_S = 30.0
ACCEPT_LIMIT_S = 20.0


def start_system(system: ClusterSystem) -> None:
    """Each process's node list begins elsewhere, so a lost node takes some connections of each kind."""
    system.start_on("services.projector", "projector", first=0)
    system.start_on("services.scheduler", "scheduler-1", first=0)
    system.start_on("services.scheduler", "scheduler-2", first=1)
    system.start_on("services.workers", "worker-1", first=1)
    system.start_on("services.workers", "worker-2", first=2)


async def started(system: ClusterSystem, api: ApiClient) -> None:
    start_system(system)
    await api.wait_for_job(CANARY, timeout=120)  # the machine may be loaded: processes start slowly
    await wait_until(lambda: leads(system) == 1, timeout=60, message="a scheduler to lead")


async def trigger_through(
    api: ApiClient, count: int, *, limit_s: float, concurrency: int = 1, **kwargs: object
) -> list[str]:
    """Trigger `count` runs, `concurrency` requests at a time; a command refused (503: no broker node
    reachable yet, or the broker refused it) is asked again until `limit_s` has passed."""
    ids: list[str] = []
    slots = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async def accepted() -> bool:
            response = await api.http.post(f"/api/scheduler/jobs/{CANARY}/trigger", json={"kwargs": kwargs})
            if response.status_code == 503:
                return False
            assert response.status_code in (200, 202), response.text
            ids.append(response.json()["data"]["execution_id"])
            return True

        async with slots:
            await wait_until(accepted, timeout=limit_s, interval=0.1, message="a command to be accepted")

    await asyncio.gather(*(one() for _ in range(count)))
    return ids


def in_flight(system: ClusterSystem, ids: list[str]) -> int:
    return sum(status not in ("success", "failed", "cancelled") for status in statuses(system, ids).values())


async def test_kill_9_of_the_run_queue_leader_with_100_runs_in_flight(
    cluster_system: ClusterSystem, cluster_api: ApiClient
) -> None:
    await started(cluster_system, cluster_api)
    # 100 runs of 8 s on 20 slots (two workers of 10): most are queued or running when the node dies.
    ids = await trigger_through(
        cluster_api, 100, limit_s=ACCEPT_LIMIT_S, concurrency=10, duration_s=8.0, steps=8
    )
    victim = cluster_system.cluster.queue_leader(cluster_system.vhost, "workers.runs")
    flying = in_flight(cluster_system, ids)
    killed_at = time.monotonic()
    victim.kill()
    after = await trigger_through(cluster_api, 1, limit_s=ACCEPT_LIMIT_S, duration_s=0.1, steps=1)
    accepting_s = time.monotonic() - killed_at
    after += await trigger_through(cluster_api, 9, limit_s=ACCEPT_LIMIT_S, duration_s=0.1, steps=1)
    new_leader = cluster_system.cluster.queue_leader(cluster_system.vhost, "workers.runs")
    assert new_leader.name != victim.name
    terminal_s = await all_terminal(cluster_system, ids + after, killed_at)
    figures = check_the_log(cluster_system, ids + after)
    record_figures(
        "kill -9 of the run queue's leader node, 100 runs in flight",
        killed=victim.name,
        in_flight_at_kill=flying,
        accepted=len(ids + after),
        finished=figures["runs"] - figures["failed"],
        commands_accepted_after_s=round(accepting_s, 1),
        all_terminal_after_s=round(terminal_s, 1),
        **figures,
    )
    assert flying >= 50, f"only {flying} of the 100 runs were in flight when the node was killed"


async def test_a_node_stopped_for_30_s_and_brought_back(
    cluster_system: ClusterSystem, cluster_api: ApiClient
) -> None:
    await started(cluster_system, cluster_api)
    ids = await trigger_through(cluster_api, 50, limit_s=ACCEPT_LIMIT_S, duration_s=0.5, steps=2)
    victim = cluster_system.cluster.queue_leader(cluster_system.vhost, "scheduler.commands")
    stopped_at = time.monotonic()
    await asyncio.to_thread(victim.stop)
    during = await trigger_through(cluster_api, 1, limit_s=ACCEPT_LIMIT_S, duration_s=0.5, steps=2)
    accepting_s = time.monotonic() - stopped_at
    during += await trigger_through(cluster_api, 49, limit_s=ACCEPT_LIMIT_S, duration_s=0.5, steps=2)
    # The node stays away for 30 s (a fault held open, not a wait for something), then comes back.
    await asyncio.sleep(max(0.0, STOPPED_S - (time.monotonic() - stopped_at)))
    await asyncio.to_thread(victim.start)
    back_at = time.monotonic()
    await wait_until(
        lambda: victim.name in cluster_system.cluster.running_members(),
        timeout=60,
        interval=0.5,
        message="the node to rejoin the cluster",
    )
    after = await trigger_through(cluster_api, 20, limit_s=ACCEPT_LIMIT_S, duration_s=0.1, steps=1)
    all_ids = ids + during + after
    terminal_s = await all_terminal(cluster_system, all_ids, back_at)
    figures = check_the_log(cluster_system, all_ids)
    await wait_until(
        lambda: _members_in_sync(cluster_system),
        timeout=60,
        interval=0.5,
        message="the node that came back to hold its copies of the quorum queues again",
    )
    record_figures(
        "a node stopped for 30 s and brought back",
        stopped=victim.name,
        stopped_until_serving_again_s=round(back_at - stopped_at, 1),
        accepted=len(all_ids),
        accepted_while_stopped=len(during),
        finished=figures["runs"] - figures["failed"],
        commands_accepted_after_s=round(accepting_s, 1),
        all_terminal_after_return_s=round(terminal_s, 1),
        **figures,
    )


def _first_line(output: str, text: str) -> str:
    return next(line for line in output.splitlines() if text in line)


def _members_in_sync(system: ClusterSystem) -> bool:
    """Every quorum queue has its three members online again."""
    listing = system.cluster.ctl(
        "list_queues", "-p", system.vhost, "--no-table-headers", "name", "type", "online"
    )
    rows = [line.split(None, 2) for line in listing.splitlines() if line.strip()]
    quorum = [row for row in rows if len(row) == 3 and row[1] == "quorum"]
    return bool(quorum) and all(row[2].count("@") == 3 for row in quorum)


async def test_the_leading_schedulers_node_killed(
    cluster_system: ClusterSystem, cluster_api: ApiClient
) -> None:
    await started(cluster_system, cluster_api)
    ids = await trigger_through(cluster_api, 30, limit_s=ACCEPT_LIMIT_S, duration_s=1.0, steps=2)
    leading = leader(cluster_system)
    # Each scheduler's node list begins with its own node (scheduler-1: node 1, scheduler-2: node 2).
    victim: ClusterNode = cluster_system.cluster.nodes[0 if leading == "scheduler-1" else 1]
    standby = "scheduler-2" if leading == "scheduler-1" else "scheduler-1"
    killed_at = time.monotonic()
    victim.kill()
    await wait_until(
        lambda: "lost the leadership" in cluster_system.named(leading).output(),
        timeout=30,
        message="the leader to notice it lost its lock",
    )
    await wait_until(lambda: leads(cluster_system) >= 2, timeout=60, message="a scheduler to lead again")
    leading_s = time.monotonic() - killed_at
    # The old leader stepped down before anyone took office again (log lines begin with their time).
    stepped_down = _first_line(cluster_system.named(leading).output(), "lost the leadership")
    took_office = [
        line
        for name in ("scheduler-1", "scheduler-2")
        for line in cluster_system.named(name).output().splitlines()
        if " leads: " in line
    ]
    assert stepped_down[:23] <= sorted(took_office)[-1][:23], (stepped_down, took_office)
    after = await trigger_through(cluster_api, 20, limit_s=ACCEPT_LIMIT_S, duration_s=0.1, steps=1)
    all_ids = ids + after
    terminal_s = await all_terminal(cluster_system, all_ids, killed_at)
    figures = check_the_log(cluster_system, all_ids)
    record_figures(
        "the leading scheduler's node killed",
        killed=victim.name,
        leader_before=leading,
        leader_after=leader(cluster_system),
        accepted=len(all_ids),
        finished=figures["runs"] - figures["failed"],
        scheduler_leading_after_s=round(leading_s, 1),
        all_terminal_after_s=round(terminal_s, 1),
        **figures,
    )
    assert standby  # either may lead afterwards: the old leader reconnects to another node and campaigns
