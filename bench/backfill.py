"""(17) Backfills: a canary backfill of 250 trading days on the distributed stack; time, runs, doubled days.

Distributed stack (api, scheduler, projector, one worker on RabbitMQ, SQLite store). One
`POST /jobs/pipeline_canary/backfill` over the range holding the first `DAYS` trading days of 2023
(zero-duration canary runs, `MAX_PARALLEL` at once); the figure is the time from the request to the
backfill listed `finished`. Then every `RunQueued` and `JobStarted` of the job is read through the API:
runs are the days started, doubled the days queued or started more than once (must be 0).
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import date

from bench.environment import Api
from bench.environment import BenchError
from bench.environment import fresh_dir
from bench.environment import one_worker_stack
from bench.environment import wait_for
from bench.figures import Goal
from bench.plan import BenchRun
from contracts.events import backfill_of
from domain.trade_calendar import trading_days_between
from infrastructure.trade_calendar_seed import seed_calendar

GROUP = "17 backfills (canary, 250 trading days)"
DAYS = 250
MAX_PARALLEL = 4
PAGE = 500


def the_range() -> tuple[str, str]:
    """From 2023-01-01 to the `DAYS`-th trading day after it."""
    start = date(2023, 1, 1)
    days = trading_days_between(seed_calendar(), start, date(2024, 12, 31)).days
    return start.isoformat(), days[DAYS - 1].isoformat()


async def request(api: Api, start: str, end: str) -> str:
    body = {
        "start_date": start,
        "end_date": end,
        "max_parallel": MAX_PARALLEL,
        "kwargs": {"duration_s": 0, "steps": 1},
    }
    response = await api.http.post(
        "/api/scheduler/jobs/pipeline_canary/backfill", json=body, headers=api.auth, params={"wait": "false"}
    )
    if response.status_code not in (201, 202):
        raise BenchError(f"backfill answered {response.status_code}: {response.text[:300]}")
    listed = await api.http.get("/api/scheduler/backfills", params={"limit": 1}, headers=api.auth)
    for _ in range(200):
        items = listed.json()["data"]["backfills"]
        if items:
            backfill_id: str = items[0]["backfill_id"]
            return backfill_id
        listed = await api.http.get("/api/scheduler/backfills", params={"limit": 1}, headers=api.auth)
    raise BenchError("the backfill was never listed")


async def counted(api: Api, event_type: str, backfill_id: str) -> Counter[str]:
    """How many events of `event_type` each of the backfill's executions has."""
    counts: Counter[str] = Counter()
    offset = 0
    while True:
        params: dict[str, str | int] = {
            "type": event_type,
            "job_id": "pipeline_canary",
            "limit": PAGE,
            "offset": offset,
        }
        response = await api.http.get("/api/scheduler/events", params=params, headers=api.auth)
        items = response.json()["data"]["items"]
        for item in items:
            owner = backfill_of(item.get("execution_id") or "")
            if owner is not None and owner[0] == backfill_id:
                counts[item["execution_id"]] += 1
        offset += len(items)
        if len(items) < PAGE:
            return counts


async def one_backfill(api: Api) -> tuple[float, int, int, dict[str, int]]:
    """(seconds to finished, runs started, doubled days, the backfill's counts)."""
    start, end = the_range()
    began = time.perf_counter()
    backfill_id = await request(api, start, end)
    shown: dict[str, int] = {}

    async def finished() -> bool:
        response = await api.http.get(f"/api/scheduler/backfills/{backfill_id}", headers=api.auth)
        data = response.json()["data"]
        shown.update({key: data[key] for key in ("total", "done", "failed", "cancelled")})
        return bool(data["status"] in ("finished", "cancelled"))

    await wait_for(finished, timeout=900, interval=0.05, what=f"backfill {backfill_id} to finish")
    elapsed = time.perf_counter() - began
    queued = await counted(api, "RunQueued", backfill_id)
    started = await counted(api, "JobStarted", backfill_id)
    doubled = sum(
        1
        for execution_id in set(queued) | set(started)
        if max(queued[execution_id], started[execution_id]) > 1
    )
    return elapsed, len(started), doubled, shown


async def measure_backfills(run: BenchRun) -> None:
    results = run.results
    results.figure(
        "backfill.seconds", GROUP, f"{DAYS} days, max_parallel {MAX_PARALLEL}: request → finished", "s"
    )
    results.figure("backfill.runs", GROUP, "days started", "runs")
    results.figure("backfill.doubled", GROUP, "days queued or started twice", "runs", goal=Goal("<", 1))
    data_dir = fresh_dir(run.work_dir, "backfill")
    async with one_worker_stack(data_dir, "backfill") as api:
        for repetition in range(run.plan.repetitions):
            if repetition:  # the same request again would find the first backfill (one per request)
                break
            seconds, runs, doubled, shown = await one_backfill(api)
            results.add("backfill.seconds", seconds)
            results.add("backfill.runs", runs)
            results.add("backfill.doubled", doubled)
            run.log(f"backfill: {runs}/{DAYS} days in {seconds:.1f} s, doubled {doubled}, counts {shown}")
    run.note(
        f"backfills: one canary backfill of {DAYS} trading days (zero-duration runs, max_parallel "
        f"{MAX_PARALLEL}) on the distributed stack with one worker; one repetition (the same request again "
        "is the same backfill)"
    )
