"""(3), Celery's column: the same number of no-op tasks on the same number of worker processes.

Each worker is `celery worker --pool=solo --concurrency=1 -E` (one process that consumes and executes,
as ours does), a Flower-like monitor consumes the task events, and a batch is done when every result is
SUCCESS in the result backend (Redis polled every 10 ms; with `rpc://`, `ResultSet.join`).
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from bench.cpu import CpuMeter
from bench.cpu import cpu_line
from bench.cpu import idle_rates
from bench.cpu import record_cpu
from bench.cpu import with_bench_process
from bench.environment import REDIS_URL
from bench.environment import ROOT
from bench.environment import BenchError
from bench.environment import Processes
from bench.environment import ServiceProcess
from bench.environment import fresh_dir
from bench.environment import processes
from bench.environment import redis_reachable
from bench.environment import throwaway_vhost
from bench.plan import BenchRun

WORKER_COUNTS = (1, 3)
POLL_S = 0.01
POLL_WINDOW = 100
GROUP_CPU = "3c CPU per 1,000 runs"
WARM_UP_RUNS = 100  # as for ours: a first batch after the workers start is not measured


def celery_env(broker: str, backend: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SCHEDULER_")}
    env.update({"PYTHONPATH": str(ROOT), "BENCH_CELERY_BROKER": broker, "BENCH_CELERY_BACKEND": backend})
    return env


def start_worker(group: Processes, env: dict[str, str], number: int) -> ServiceProcess:
    arguments = (
        "-A", "bench.celery_app", "worker", "--pool=solo", "--concurrency=1", "-E",
        "-Q", "bench.noop", "-n", f"bench{number}@%h", "--loglevel=WARNING",
    )  # fmt: skip
    return group.start("celery", env, f"celery-worker-{number}", arguments)


def wait_for_workers(count: int, timeout: float = 60) -> None:
    from bench.celery_app import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(app.control.ping(timeout=1.0)) >= count:
            return
    raise BenchError(f"{count} Celery workers did not answer ping within {timeout:g} s")


def run_batch(count: int, backend: str) -> float:
    """Send `count` tasks, wait until every result is SUCCESS; tasks per second over the whole batch."""
    from celery.result import ResultSet

    from bench.celery_app import noop

    started = time.time()
    results = [noop.apply_async() for _ in range(count)]
    if backend.startswith("redis"):
        finished = _poll_redis([result.id for result in results], backend)
    else:
        ResultSet(results).join(timeout=600, propagate=True, interval=POLL_S)
        finished = time.time()
    return count / (finished - started)


def _poll_redis(task_ids: list[str], backend: str) -> float:
    """Time at which every result was SUCCESS. Results arrive roughly in sending order, so each poll reads
    only the oldest POLL_WINDOW pending keys: the poller stays cheap (it shares the 2 cores)."""
    import redis

    client: Any = redis.Redis.from_url(backend)
    pending = [f"celery-task-meta-{task_id}" for task_id in task_ids]
    deadline = time.monotonic() + 600
    while pending:
        if time.monotonic() > deadline:
            raise BenchError(f"{len(pending)} Celery results still missing after 600 s")
        window = pending[:POLL_WINDOW]
        values = client.mget(window)
        done = {key for key, value in zip(window, values, strict=True) if value and b'"SUCCESS"' in value}
        pending = [key for key in window if key not in done] + pending[POLL_WINDOW:]
        if pending and not done:
            time.sleep(POLL_S)
    finished = time.time()
    keys = [f"celery-task-meta-{task_id}" for task_id in task_ids]
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])
    return finished


async def measure_celery(run: BenchRun) -> None:
    results = run.results
    backend = REDIS_URL if redis_reachable() else "rpc://"
    run.note(f"Celery result backend: {backend.split('://')[0]} ({'Redis' if 'redis' in backend else 'rpc'})")
    log_dir = fresh_dir(run.work_dir, "celery")
    with throwaway_vhost("celery") as broker, processes(log_dir) as group:
        from bench.celery_app import app

        app.conf.update(broker_url=broker, result_backend=backend)
        env = celery_env(broker, backend)
        monitor = group.start("bench.celery_monitor", env, "celery-monitor")
        await monitor.wait_for_log("ready")
        pids = {"celery monitor": monitor.pid}
        started = 0
        for workers in WORKER_COUNTS:
            while started < workers:
                started += 1
                pids[f"celery worker-{started}"] = start_worker(group, env, started).pid
            await asyncio.to_thread(wait_for_workers, workers)
            await asyncio.to_thread(run_batch, WARM_UP_RUNS, backend)  # not measured
            key = f"runs.celery.w{workers}.per_s"
            for repetition in range(run.plan.repetitions):
                idle = await idle_rates(with_bench_process(pids))
                meter = CpuMeter(with_bench_process(pids)).start()
                rate = await asyncio.to_thread(run_batch, run.plan.runs_per_batch, backend)
                meter.stop()
                meter.net_of(idle)
                results.add(key, rate)
                record_cpu(
                    results, GROUP_CPU, f"cpu.celery.w{workers}", f"Celery, {workers} worker(s)",
                    meter, run.plan.runs_per_batch,
                )  # fmt: skip
                run.log(f"Celery, {workers} worker(s) #{repetition + 1}: {rate:,.0f} tasks/s")
                run.log(cpu_line(meter, run.plan.runs_per_batch))
