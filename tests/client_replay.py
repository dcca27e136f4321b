"""The web client's calls in its order: a command, then at once the reload of the list it came from.

The client reloads right after pause, resume, trigger, cancel, mark-failed and delete; each reload must
show the command's effect (read your writes). Used against the API in one process and against the real
services in both modes (`tests/api/test_read_your_writes.py`, `tests/e2e/test_read_your_writes.py`).
The system must run at most one canary at a time (worker capacity 1), so that a run can wait in the queue.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.waiting import wait_until

CANARY = "pipeline_canary"
JOBS = "/api/scheduler/jobs"
EXECUTIONS = "/api/scheduler/executions"
LONG = {"duration_s": 60, "steps": 600}


async def applied(http: httpx.AsyncClient, method: str, path: str, **kwargs: Any) -> Any:
    """A command answered as applied: 200 and the envelope (never 202 "not yet applied")."""
    response = await http.request(method, path, **kwargs)
    assert response.status_code == 200, f"{method} {path}: {response.status_code} {response.text}"
    body = response.json()
    assert body["success"] is True
    return body["data"]


async def reload_jobs(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.get(JOBS)
    assert response.status_code == 200, response.text
    jobs: list[dict[str, Any]] = response.json()["data"]
    return next(job for job in jobs if job["id"] == CANARY)


async def reload_runs(http: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    response = await http.get(EXECUTIONS, params={"job_id": CANARY, "limit": 200})
    assert response.status_code == 200, response.text
    return {item["execution_id"]: item for item in response.json()["data"]["items"]}


async def trigger(http: httpx.AsyncClient, kwargs: dict[str, Any]) -> str:
    data = await applied(
        http, "POST", f"{JOBS}/{CANARY}/trigger", params={"force": "true"}, json={"kwargs": kwargs}
    )
    execution_id: str = data["execution_id"]
    return execution_id


async def wait_for_status(http: httpx.AsyncClient, execution_id: str, status: str) -> None:
    async def reached() -> bool:
        run = (await reload_runs(http)).get(execution_id)
        return run is not None and run["status"] == status

    await wait_until(reached, timeout=30, interval=0.05, message=f"{execution_id} to be {status}")


async def replay_job_commands(http: httpx.AsyncClient) -> None:
    await applied(http, "POST", f"{JOBS}/{CANARY}/resume")
    assert (await reload_jobs(http))["paused"] is False
    await applied(http, "POST", f"{JOBS}/{CANARY}/pause")
    assert (await reload_jobs(http))["paused"] is True
    await applied(http, "PUT", f"{JOBS}/{CANARY}/metadata", json={"display_name": "自检（回放）"})
    assert (await reload_jobs(http))["display_name"] == "自检（回放）"


async def replay_run_commands(http: httpx.AsyncClient) -> None:
    running = await trigger(http, LONG)
    assert (await reload_runs(http))[running]["status"] in {"queued", "running"}
    await wait_for_status(http, running, "running")
    await applied(http, "POST", f"{EXECUTIONS}/{running}/cancel")
    shown = (await reload_runs(http))[running]
    assert shown["status"] == "cancelled" or shown["cancel_requested"] is True, shown
    await wait_for_status(http, running, "cancelled")
    await applied(http, "DELETE", f"{EXECUTIONS}/{running}")
    assert running not in await reload_runs(http)

    marked = await trigger(http, LONG)
    await applied(http, "POST", f"{EXECUTIONS}/{marked}/mark-failed", params={"reason": "stuck"})
    shown = (await reload_runs(http))[marked]
    assert shown["status"] == "failed" and shown["error_message"] == "stuck", shown
    await wait_for_status(http, marked, "failed")


async def replay_cancel_of_a_queued_run(http: httpx.AsyncClient) -> None:
    """The worker is busy with one run; a second waits in the queue; its cancel ends it at once, and it
    never starts, not even once the worker is free again."""
    busy = await trigger(http, LONG)
    await wait_for_status(http, busy, "running")
    waiting = await trigger(http, LONG)
    assert (await reload_runs(http))[waiting]["status"] == "queued"
    await applied(http, "POST", f"{EXECUTIONS}/{waiting}/cancel")
    shown = (await reload_runs(http))[waiting]
    assert shown["status"] == "cancelled" and shown["cancel_requested"] is True, shown
    assert "started_at" not in shown and "worker_id" not in shown

    await applied(http, "POST", f"{EXECUTIONS}/{busy}/cancel")
    await wait_for_status(http, busy, "cancelled")
    after = await trigger(http, {"duration_s": 0, "steps": 1})
    await wait_for_status(http, after, "success")  # the worker took the runs behind the cancelled one
    response = await http.get(f"{EXECUTIONS}/{waiting}/events")
    assert response.status_code == 200, response.text
    types = [event["type"] for event in response.json()["data"]["items"]]
    assert types == ["RunQueued", "QueuedRunCancelled"], types


async def replay_the_client(http: httpx.AsyncClient) -> None:
    await reload_jobs(http)
    await replay_job_commands(http)
    await replay_run_commands(http)
    await replay_cancel_of_a_queued_run(http)
