"""(16) reschedule latency: from a `PATCH` of a job's trigger to the job list showing its new next_run_time.

On the stacks of (9) (embedded, then distributed), a job of kind `pipeline_canary` is created with a
trigger far ahead (`0 0 1 1 *`: it never fires meanwhile); each sample patches its trigger to the next hour
of that day (`0 H 1 1 *`, H = 1, 2, ... 9, 1, ...: never the value it has) with the default wait, as the
console does, then polls `GET /api/scheduler/jobs` until the job's `next_run_time` is at that hour. The
figure is the time from sending the `PATCH` to the first list that shows it. Samples run one after the
other; the job is deleted at the end.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from collections.abc import Callable
from datetime import datetime

from bench.command_latency import distributed_commands
from bench.command_latency import embedded_commands
from bench.environment import Api
from bench.environment import BenchError
from bench.environment import wait_for
from bench.figures import percentile
from bench.plan import BenchRun

GROUP = "16 reschedule (PATCH → the job list shows the new next run)"
JOB = "bench_reschedule"
JOBS = "/api/scheduler/jobs"
CREATE = {"id": JOB, "kind": "pipeline_canary", "trigger": "0 0 1 1 *", "kwargs": {"duration_s": 0}}
LABEL = "PATCH trigger → GET /jobs shows the new next_run_time"


async def _listed_hour(api: Api) -> int | None:
    """The hour of the job's next_run_time as the job list shows it (None: not listed or no next run)."""
    response = await api.http.get(JOBS, headers=api.auth)
    for job in response.json().get("data") or []:
        if job["id"] == JOB and job.get("next_run_time"):
            return datetime.fromisoformat(job["next_run_time"]).hour
    return None


async def one_patch(api: Api, hour: int) -> float:
    """Milliseconds from sending the PATCH to the first job list showing the next run at `hour`."""
    started = time.perf_counter()
    response = await api.http.patch(f"{JOBS}/{JOB}", json={"trigger": f"0 {hour} 1 1 *"}, headers=api.auth)
    if response.status_code not in (200, 202):
        raise BenchError(f"PATCH answered {response.status_code}: {response.text[:300]}")

    async def shown() -> bool:
        return await _listed_hour(api) == hour

    await wait_for(shown, timeout=30, interval=0.005, what=f"{JOB} listed with its next run at {hour}:00")
    return (time.perf_counter() - started) * 1000


async def measure_patch_latency(run: BenchRun, api: Api, mode: str) -> None:
    """The series on one stack: create the job, patch it `latency_samples` times per repetition, delete it."""
    for quantile in ("p50", "p99"):
        run.results.figure(f"reschedule.{mode}.{quantile}", GROUP, f"{mode}: {LABEL} {quantile}", "ms")
    created = await api.http.post(JOBS, json=CREATE, headers=api.auth)
    if created.status_code not in (200, 201, 202):
        raise BenchError(f"creating {JOB} answered {created.status_code}: {created.text[:300]}")
    await wait_for(_hour_zero_listed(api), timeout=30, interval=0.05, what=f"{JOB} to be listed")
    for repetition in range(run.plan.repetitions):
        values = [await one_patch(api, 1 + index % 9) for index in range(run.plan.latency_samples)]
        run.results.add(f"reschedule.{mode}.p50", percentile(values, 0.5))
        run.results.add(f"reschedule.{mode}.p99", percentile(values, 0.99))
        run.results.distribution(f"reschedule.{mode}", values)
        run.log(
            f"reschedule {mode} #{repetition + 1}: p50 {percentile(values, 0.5):.1f} ms, "
            f"p99 {percentile(values, 0.99):.1f} ms over {len(values)} PATCHes"
        )
    await api.http.delete(f"{JOBS}/{JOB}", headers=api.auth)


def _hour_zero_listed(api: Api) -> Callable[[], Awaitable[bool]]:
    async def listed() -> bool:
        return await _listed_hour(api) == 0

    return listed


async def measure_reschedule(run: BenchRun) -> None:
    """(16) on the embedded stack, then the distributed one."""
    await embedded_commands(run, measure_patch_latency)
    await distributed_commands(run, measure_patch_latency)
    run.note(
        "reschedule: sequential PATCHes of a created job's trigger (default wait), each timed from the "
        "request to the first GET /api/scheduler/jobs showing the new next_run_time (polled every 5 ms)"
    )
