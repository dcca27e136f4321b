"""The broker stops and comes back while the system works: it heals by itself.

Real processes (API, projector, two schedulers, two workers) on a private RabbitMQ node that the test stops
(`rabbitmqctl stop_app`) and starts again. After each return: every accepted run terminal within 60 s, none
failed "worker lost" (the workers lived), no `JobFinished` stored twice, a scheduler leading again within
5 s, commands accepted again, and `replay --verify` finds the read models identical to the event log.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import pytest

from tests.e2e.harness import ApiClient
from tests.outage.conftest import OutageCluster
from tests.outage.conftest import record_figures
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.timeout(300)]

CANARY = "pipeline_canary"
TERMINAL = ("success", "failed", "cancelled", "missed", "skipped")
RECOVERY_LIMIT_S = 60.0
LEAD_LIMIT_S = 5.0


@dataclass
class Return:
    """What one return of the broker took: seconds from the moment it accepted connections again."""

    back_at: float  # monotonic
    outage_s: float
    leading_s: float
    accepting_s: float


def start_system(cluster: OutageCluster, *, schedulers: int = 1) -> None:
    cluster.start("services.projector", "projector")
    for number in range(1, schedulers + 1):
        cluster.start("services.scheduler", f"scheduler-{number}")
    cluster.start("services.workers", "worker-1")
    cluster.start("services.workers", "worker-2")


def leads(cluster: OutageCluster) -> int:
    """How many times a scheduler took office so far (from their logs)."""
    return sum(
        process.output().count(" leads: ")
        for process in cluster.processes
        if process.name.startswith("scheduler")
    )


def leader(cluster: OutageCluster) -> str:
    """The scheduler that took office last."""
    latest: tuple[str, str] = ("", "")
    for process in cluster.processes:
        if not process.name.startswith("scheduler") or process.popen.poll() is not None:
            continue
        lines = [line for line in process.output().splitlines() if " leads: " in line]
        if lines and lines[-1] > latest[0]:
            latest = (lines[-1], process.name)
    return latest[1]


async def trigger_many(api: ApiClient, count: int, **kwargs: object) -> list[str]:
    ids: list[str] = []
    for _ in range(count):
        ids.append(await api.trigger(CANARY, **kwargs))
    return ids


def statuses(cluster: OutageCluster, ids: list[str]) -> dict[str, str]:
    rows = cluster.store_query("SELECT execution_id, status FROM scheduler_executions")
    wanted = set(ids)
    return {execution_id: status for execution_id, status in rows if execution_id in wanted}


async def outage(cluster: OutageCluster, api: ApiClient, seconds: float, leads_before: int) -> Return:
    """Stop the broker for `seconds`; meanwhile reads work, commands get 503 + Retry-After and health says
    since when the broker is away; then start it and measure how long the system takes to serve again."""
    stopped = await cluster.broker.stop_app()

    async def degraded() -> bool:
        health = await api.data("GET", "/api/scheduler/health")
        return health["status"] == "degraded" and any(
            "broker unreachable since" in reason for reason in health["reasons"]
        )

    await wait_until(degraded, timeout=10, interval=0.2, message="health to say the broker is unreachable")
    assert await api.data("GET", "/api/scheduler/jobs")  # reads still served from the store
    refused = await api.http.post(f"/api/scheduler/jobs/{CANARY}/trigger", json={"kwargs": {}})
    assert refused.status_code == 503 and refused.headers.get("Retry-After"), refused.text
    # `start_app` takes a while to let clients in again: held that much less, the outage is about `seconds`.
    hold = seconds - cluster.broker.start_lead_s - (time.monotonic() - stopped)
    await asyncio.sleep(max(0.0, hold))  # the outage itself (a fault held open), not a wait for something
    back = await cluster.broker.start_app(cluster.vhost)  # when a new client could connect again
    outage_s = back - stopped

    async def accepting() -> bool:
        response = await api.http.post(
            f"/api/scheduler/jobs/{CANARY}/trigger", json={"kwargs": {"duration_s": 0.1, "steps": 1}}
        )
        return response.status_code == 200

    await wait_until(accepting, timeout=30, interval=0.05, message="a command to be accepted again")
    accepting_s = time.monotonic() - back
    await wait_until(
        lambda: leads(cluster) > leads_before, timeout=30, interval=0.05, message="a scheduler to lead"
    )
    leading_s = time.monotonic() - back
    await cluster.broker.settled()
    return Return(back, outage_s, leading_s, accepting_s)


async def all_terminal(cluster: OutageCluster, ids: list[str], since: float) -> float:
    await wait_until(
        lambda: (
            all(status in TERMINAL for status in statuses(cluster, ids).values())
            and len(statuses(cluster, ids)) == len(ids)
        ),
        timeout=RECOVERY_LIMIT_S + 30,
        interval=0.2,
        message="every accepted run to be terminal",
    )
    return time.monotonic() - since


def check_the_log(
    cluster: OutageCluster, ids: list[str], cancelled: frozenset[str] = frozenset()
) -> dict[str, int]:
    """Nothing lost, failed or doubled: read from the event store and the read model."""
    found = statuses(cluster, ids)
    failed = {
        execution_id: status
        for execution_id, status in found.items()
        if status != ("cancelled" if execution_id in cancelled else "success")
    }
    doubled = cluster.store_query(
        "SELECT execution_id, COUNT(*) FROM scheduler_events WHERE type = 'JobFinished' "
        "GROUP BY execution_id HAVING COUNT(*) > 1"
    )
    lost = cluster.store_query(
        "SELECT COUNT(*) FROM scheduler_events WHERE type IN ('AttemptFailed', 'ExecutionMarkedFailed') "
        "AND document LIKE '%worker lost%'"
    )[0][0]
    assert not failed, f"runs not successful: {failed}"
    assert not doubled, f"JobFinished stored twice: {doubled}"
    assert lost == 0, f"{lost} run(s) declared lost while their workers lived"
    verify = cluster.replay_verify()
    assert verify.returncode == 0 and "identical" in verify.stdout, verify.stdout + verify.stderr
    return {
        "runs": len(ids),
        "failed": len(failed),
        "doubled_job_finished": len(doubled),
        "worker_lost": lost,
    }


def check_quiet(cluster: OutageCluster, outages: int) -> None:
    """One warning line when an outage begins and one when it ends, per process; no traceback per beat."""
    for process in cluster.processes:
        if process.popen.poll() is not None:
            continue
        output = process.output()
        began = output.count("broker unreachable since")
        assert began <= outages, f"{process.name} said {began} times that the broker went away"
        assert output.count("Traceback") <= 2 * outages, f"{process.name} wrote tracebacks:\n{output[-3000:]}"


async def test_long_runs_ride_out_a_20_s_outage_and_then_the_leader_is_killed(
    outage_cluster: OutageCluster, outage_api: ApiClient
) -> None:
    start_system(outage_cluster, schedulers=2)
    await outage_api.wait_for_job(CANARY)
    await wait_until(lambda: leads(outage_cluster) == 1, timeout=30, message="a scheduler to lead")
    ids = await trigger_many(outage_api, 20, duration_s=45, steps=45)
    await wait_until(
        lambda: list(statuses(outage_cluster, ids).values()).count("running") == 20,
        timeout=30,
        interval=0.2,
        message="the 20 runs to be running",
    )
    returned = await outage(outage_cluster, outage_api, 20, leads_before=1)
    back = returned.back_at
    # The broker is back: now the leader dies (kill -9); the standby takes over and loses no run.
    outage_cluster.named(leader(outage_cluster)).kill()
    await wait_until(lambda: leads(outage_cluster) >= 3, timeout=30, message="the standby to take over")
    # A cancel asked after the return reaches its run (the workers' control queues consume again).
    await outage_api.data("POST", f"/api/scheduler/executions/{ids[0]}/cancel")
    await wait_until(
        lambda: statuses(outage_cluster, ids[:1]) == {ids[0]: "cancelled"},
        timeout=30,
        interval=0.2,
        message="the run cancelled after the return to end cancelled",
    )
    terminal_s = await all_terminal(outage_cluster, ids, back)
    figures = check_the_log(outage_cluster, ids, cancelled=frozenset(ids[:1]))
    record_figures(
        "20 long runs, 20 s outage, then kill -9 of the leader",
        outage_s=round(returned.outage_s, 1),
        scheduler_leading_after_s=round(returned.leading_s, 1),
        commands_accepted_after_s=round(returned.accepting_s, 1),
        all_terminal_after_s=round(terminal_s, 1),
        **figures,
    )
    check_quiet(outage_cluster, outages=1)
    assert returned.leading_s <= LEAD_LIMIT_S
    assert terminal_s <= RECOVERY_LIMIT_S


async def test_short_runs_ride_out_two_7_s_outages_in_a_row(
    outage_cluster: OutageCluster, outage_api: ApiClient
) -> None:
    start_system(outage_cluster)
    await outage_api.wait_for_job(CANARY)
    await wait_until(lambda: leads(outage_cluster) == 1, timeout=30, message="the scheduler to lead")
    ids = await trigger_many(outage_api, 200, duration_s=0.2, steps=2)
    first = await outage(outage_cluster, outage_api, 7, leads_before=1)
    ids += await trigger_many(outage_api, 50, duration_s=0.2, steps=2)
    second = await outage(outage_cluster, outage_api, 7, leads_before=2)
    back = second.back_at
    terminal_s = await all_terminal(outage_cluster, ids, back)
    figures = check_the_log(outage_cluster, ids)
    record_figures(
        "200 + 50 short runs, two 7 s outages",
        outages_s=[round(first.outage_s, 1), round(second.outage_s, 1)],
        scheduler_leading_after_s=[round(first.leading_s, 1), round(second.leading_s, 1)],
        commands_accepted_after_s=[round(first.accepting_s, 1), round(second.accepting_s, 1)],
        all_terminal_after_s=round(terminal_s, 1),
        **figures,
    )
    check_quiet(outage_cluster, outages=2)
    assert max(first.leading_s, second.leading_s) <= LEAD_LIMIT_S
    assert terminal_s <= RECOVERY_LIMIT_S


async def test_live_stream_resumes_after_an_outage(
    outage_cluster: OutageCluster, outage_api: ApiClient
) -> None:
    start_system(outage_cluster)
    await outage_api.wait_for_job(CANARY)
    await wait_until(lambda: leads(outage_cluster) == 1, timeout=30, message="the scheduler to lead")
    seen: list[str] = []

    async def listen() -> None:
        async with outage_api.http.stream("GET", "/api/scheduler/stream", timeout=None) as response:
            assert response.status_code == 200
            async for line in response.aiter_lines():
                seen.append(line)

    listener = asyncio.create_task(listen())
    try:
        await outage(outage_cluster, outage_api, 5, leads_before=1)
        before = len(seen)
        execution_id = await outage_api.trigger(CANARY, duration_s=0.1, steps=1)
        await wait_until(
            lambda: any(execution_id in line for line in seen[before:]),
            timeout=20,
            message="the connected client to receive the new run's events",
        )
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)
