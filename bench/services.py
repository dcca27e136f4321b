"""(3) runs per second, (4) trigger latency and (8) memory, on the real service processes.

Distributed: `services.api`, `.scheduler`, `.projector` and 1 then 3 `services.workers` on RabbitMQ (a
throw-away virtual host) and one shared SQLite file. Embedded: one `services.embedded` process. Celery
runs the same batches beside (see `celery_side`).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

from bench.celery_side import WORKER_COUNTS
from bench.celery_side import measure_celery
from bench.cpu import CpuMeter
from bench.cpu import cpu_line
from bench.cpu import idle_rates
from bench.cpu import record_cpu
from bench.cpu import with_bench_process
from bench.environment import ROOT
from bench.environment import Api
from bench.environment import BenchError
from bench.environment import Processes
from bench.environment import RssSampler
from bench.environment import ServiceProcess
from bench.environment import api_session
from bench.environment import distributed_env
from bench.environment import free_port
from bench.environment import fresh_dir
from bench.environment import processes
from bench.environment import rss_mib
from bench.environment import service_env
from bench.environment import throwaway_vhost
from bench.environment import wait_for
from bench.figures import Goal
from bench.figures import percentile
from bench.plan import BenchRun
from bench.publishing import publish_window
from contracts.commands import TriggerJob
from infrastructure.bus.rabbitmq_bus import RabbitMQBus

GROUP_RUNS = "3 runs per second"
GROUP_LATENCY = "4 trigger latency"
GROUP_MEMORY = "8 memory (RSS)"
GROUP_CPU = "3c CPU per 1,000 runs"
ZERO_RUN = {"duration_s": 0, "steps": 1}
RUNNING_HOLD_S = 0.15  # how long the "→ running" runs stay running, so the running state can be seen
POLL_S = 0.002
HEALTHZ_SAMPLES = 200
LATENCY_GOALS = {"embedded": Goal("<", 30), "distributed": Goal("<", 100)}
# Like Celery's `--concurrency=1`: each worker process runs one run at a time.
WORKER_CAPACITY = 1
WARM_UP_RUNS = 100  # a first, unmeasured batch after workers start (ours and Celery alike)
TERMINAL = ("success", "failed", "cancelled", "skipped", "missed")


# --- (4) latency -----------------------------------------------------------------------------------
async def _poll_until(api: Api, execution_id: str, wanted: set[str], started: float) -> float:
    """Milliseconds from `started` until the run is listed in one of `wanted` (or has ended)."""
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline:
        status = await api.canary_status(execution_id)
        if status in wanted or status in TERMINAL:
            return (time.perf_counter() - started) * 1000
        await asyncio.sleep(POLL_S)
    raise BenchError(f"run {execution_id} did not reach {wanted} within 30 s")


async def latency_series(api: Api, samples: int) -> tuple[list[float], list[float]]:
    """Sequential manual triggers over HTTP: ms until listed `running` (a run held for RUNNING_HOLD_S)
    and ms until listed `success` (a zero-duration run)."""
    to_running: list[float] = []
    to_success: list[float] = []
    for _ in range(samples):
        started = time.perf_counter()
        execution_id = await api.trigger_canary(duration_s=RUNNING_HOLD_S, steps=1)
        to_running.append(await _poll_until(api, execution_id, {"running"}, started))
        # Not measured: let the held run end, so the next run never waits for a busy worker slot.
        await _poll_until(api, execution_id, set(TERMINAL), time.perf_counter())
        started = time.perf_counter()
        execution_id = await api.trigger_canary(**ZERO_RUN)
        to_success.append(await _poll_until(api, execution_id, {"success"}, started))
    return to_running, to_success


async def healthz_series(api: Api, samples: int = HEALTHZ_SAMPLES) -> list[float]:
    latencies = []
    for _ in range(samples):
        started = time.perf_counter()
        await api.http.get("/healthz")
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def declare_latency_figures(run: BenchRun, mode: str) -> None:
    results = run.results
    for quantile in ("p50", "p99"):
        results.figure(
            f"latency.{mode}.healthz.{quantile}",
            GROUP_LATENCY,
            f"{mode}: baseline GET /healthz round trip {quantile}",
            "ms",
        )
    for target in ("running", "success"):
        for quantile in ("p50", "p95", "p99"):
            results.figure(
                f"latency.{mode}.{target}.{quantile}",
                GROUP_LATENCY,
                f"{mode}: POST trigger → listed {target} {quantile}",
                "ms",
                goal=LATENCY_GOALS[mode] if quantile == "p99" else None,
                baseline=f"latency.{mode}.healthz.{'p50' if quantile == 'p50' else 'p99'}",
            )


async def measure_latency(run: BenchRun, api: Api, mode: str) -> None:
    declare_latency_figures(run, mode)
    results = run.results
    for repetition in range(run.plan.repetitions):
        healthz = await healthz_series(api)
        results.add(f"latency.{mode}.healthz.p50", percentile(healthz, 0.5))
        results.add(f"latency.{mode}.healthz.p99", percentile(healthz, 0.99))
        to_running, to_success = await latency_series(api, run.plan.latency_samples)
        for target, values in (("running", to_running), ("success", to_success)):
            for quantile, fraction in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
                results.add(f"latency.{mode}.{target}.{quantile}", percentile(values, fraction))
            results.distribution(f"latency.{mode}.{target}", values)
        run.log(
            f"latency {mode} #{repetition + 1}: running p99 {percentile(to_running, 0.99):.1f} ms, "
            f"success p99 {percentile(to_success, 0.99):.1f} ms"
        )
    note = (
        f"latency: {run.plan.latency_samples} sequential triggers per repetition and series; GET "
        f"/api/scheduler/executions?job_id=pipeline_canary polled every {POLL_S * 1000:g} ms (the figure "
        f"includes up to one poll period); 'running' runs hold {RUNNING_HOLD_S} s, 'success' runs are "
        "zero-duration"
    )
    if note not in run.results.notes:
        run.note(note)


# --- (3) runs per second ---------------------------------------------------------------------------
def finished_runs(database: Path, prefix: str) -> tuple[int, int]:
    """(ended runs, of which not success) among executions whose id starts with `prefix-`."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
    try:
        placeholders = ", ".join("?" for _ in TERMINAL)
        row = connection.execute(
            "SELECT COUNT(*), COALESCE(SUM(status != 'success'), 0) FROM scheduler_executions"
            f" WHERE execution_id >= ? AND execution_id < ? AND status IN ({placeholders})",
            (f"{prefix}-", f"{prefix}.", *TERMINAL),
        ).fetchone()
        return int(row[0]), int(row[1])
    finally:
        connection.close()


async def runs_batch(bus: RabbitMQBus, database: Path, count: int, prefix: str) -> tuple[float, int]:
    """Publish `count` TriggerJob commands (window of 100), wait until every run has ended in the read
    model; runs per second from the first publish, and how many did not end in success."""
    commands = [
        TriggerJob(
            producer="bench",
            actor="bench",
            job_id="pipeline_canary",
            execution_id=f"{prefix}-{index:07d}",
            kwargs=ZERO_RUN,
        )
        for index in range(count)
    ]
    outcome = (0, 0)

    async def all_ended() -> bool:
        nonlocal outcome
        outcome = await asyncio.to_thread(finished_runs, database, prefix)
        return outcome[0] >= count

    started = time.time()
    await publish_window(bus.publish, commands)
    finished = await wait_for(all_ended, timeout=900, interval=0.01, what=f"{count} runs to end")
    return count / (finished - started), outcome[1]


def declare_run_figures(run: BenchRun) -> None:
    for workers in WORKER_COUNTS:
        run.results.figure(
            f"runs.ours.w{workers}.per_s",
            GROUP_RUNS,
            f"ours, {workers} worker process(es): trigger → success in read model",
            "runs/s",
            baseline="transport.msgs_per_s",
        )
        run.results.figure(
            f"runs.celery.w{workers}.per_s",
            GROUP_RUNS,
            f"Celery, {workers} worker process(es): send → SUCCESS in result backend",
            "tasks/s",
            baseline="transport.msgs_per_s",
        )
        run.results.figure(
            f"runs.ratio.w{workers}",
            GROUP_RUNS,
            f"ours / Celery, {workers} worker(s)",
            "×",
            goal=Goal(">=", 1.0),
        )
    run.results.figures["runs.ours.w1.per_s"].note = (
        f"{run.plan.runs_per_batch} zero-duration pipeline_canary runs per repetition (kwargs {ZERO_RUN}), "
        "TriggerJob published straight on the bus with 100 confirms in flight; done when the last is listed "
        "in scheduler_executions (polled every 10 ms); worker capacity "
        f"{WORKER_CAPACITY} (SCHEDULER_WORKER_CAPACITY, as Celery's --concurrency=1)"
    )


# --- (8) memory ------------------------------------------------------------------------------------
def declare_memory_figure(run: BenchRun, service: str, state: str) -> str:
    key = f"memory.{service}.{state}"
    run.results.figure(
        "memory.python.bare",
        GROUP_MEMORY,
        "baseline: a bare python interpreter",
        "MiB",
    )
    run.results.figure(
        key,
        GROUP_MEMORY,
        f"{service}, {state}" + (" (peak per repetition)" if state == "load" else ""),
        "MiB",
        baseline="memory.python.bare",
    )
    return key


async def bare_python_rss(log_dir: Path) -> float:
    with processes(log_dir) as group:
        process = group.start("bench.idle", {"PYTHONPATH": str(ROOT)}, "bare")
        await process.wait_for_log("idle")
        return rss_mib(process.pid)


def record_peaks(run: BenchRun, sampler: RssSampler) -> None:
    workers = [value for name, value in sampler.peaks.items() if name.startswith("worker")]
    for name, value in sampler.peaks.items():
        if not name.startswith("worker"):
            run.results.add(declare_memory_figure(run, name, "load"), value)
    if workers:
        run.results.add(declare_memory_figure(run, "worker", "load"), max(workers))


def record_idle(run: BenchRun, named: dict[str, int]) -> None:
    for name, pid in named.items():
        service = "worker" if name.startswith("worker") else name
        key = declare_memory_figure(run, service, "idle")
        if not run.results.figures[key].samples:
            run.results.add(key, rss_mib(pid))


# --- the sessions ------------------------------------------------------------------------------------
async def distributed_session(run: BenchRun) -> None:
    data_dir = fresh_dir(run.work_dir, "distributed")
    database = data_dir / "scheduler.sqlite3"
    port = free_port()
    with throwaway_vhost("services") as url, processes(data_dir) as group:
        run.results.add(declare_memory_figure(run, "python", "bare"), await bare_python_rss(data_dir))
        env = distributed_env(
            data_dir, url, SCHEDULER_PORT=str(port), SCHEDULER_WORKER_CAPACITY=str(WORKER_CAPACITY)
        )
        projector = group.start("services.projector", env, "projector")
        await projector.wait_for_log("consuming projector.events")  # its log line at start-up
        scheduler = group.start("services.scheduler", env, "scheduler")
        workers = [start_worker(group, env, 1)]
        api_process = group.start("services.api", env, "api")
        named = {"api": api_process.pid, "scheduler": scheduler.pid, "projector": projector.pid}
        async with api_session(f"http://127.0.0.1:{port}", group.started) as api:
            await workers[0].wait_for_log("ready (capacity")
            await asyncio.sleep(1.0)  # let start-up settle before the idle sample
            record_idle(run, {**named, "worker-1": workers[0].pid})
            pids = {**named, "worker-1": workers[0].pid}
            async with RssSampler(pids) as sampler:
                await measure_latency(run, api, "distributed")
            record_peaks(run, sampler)
            bus = RabbitMQBus(url, connection_name="bench:trigger")
            await bus.start()
            try:
                for count in WORKER_COUNTS:
                    while len(workers) < count:
                        workers.append(start_worker(group, env, len(workers) + 1))
                    for worker in workers:
                        await worker.wait_for_log("ready (capacity")
                    pids = {**named, **{worker.name: worker.pid for worker in workers}}
                    await runs_batch(bus, database, WARM_UP_RUNS, f"w{count}warm")  # not measured
                    for repetition in range(run.plan.repetitions):
                        idle = await idle_rates(with_bench_process(pids))
                        meter = CpuMeter(with_bench_process(pids), profile=True).start()
                        async with RssSampler(pids) as sampler:
                            rate, failed = await runs_batch(
                                bus, database, run.plan.runs_per_batch, f"w{count}r{repetition}"
                            )
                        meter.stop()
                        meter.net_of(idle)
                        record_peaks(run, sampler)
                        run.results.add(f"runs.ours.w{count}.per_s", rate)
                        record_cpu(
                            run.results, GROUP_CPU, f"cpu.ours.w{count}", f"ours, {count} worker(s)",
                            meter, run.plan.runs_per_batch,
                        )  # fmt: skip
                        if failed:
                            run.note(f"runs w{count} #{repetition + 1}: {failed} runs did not end in success")
                        run.log(f"ours, {count} worker(s) #{repetition + 1}: {rate:,.0f} runs/s")
                        run.log(cpu_line(meter, run.plan.runs_per_batch))
            finally:
                await bus.close()


def start_worker(group: Processes, env: dict[str, str], number: int) -> ServiceProcess:
    return group.start(
        "services.workers", {**env, "SCHEDULER_INSTANCE_ID": f"bench-worker-{number}"}, f"worker-{number}"
    )


async def embedded_session(run: BenchRun) -> None:
    data_dir = fresh_dir(run.work_dir, "embedded")
    port = free_port()
    with processes(data_dir) as group:
        embedded = group.start(
            "services.embedded", service_env(data_dir, SCHEDULER_PORT=str(port)), "embedded"
        )
        async with api_session(f"http://127.0.0.1:{port}", group.started) as api:
            await asyncio.sleep(1.0)
            record_idle(run, {"embedded": embedded.pid})
            async with RssSampler({"embedded": embedded.pid}) as sampler:
                await measure_latency(run, api, "embedded")
            record_peaks(run, sampler)


async def measure_services(run: BenchRun) -> None:
    declare_run_figures(run)
    await distributed_session(run)
    await embedded_session(run)
    await measure_celery(run)
    results = run.results
    for workers in WORKER_COUNTS:
        celery = results.figures[f"runs.celery.w{workers}.per_s"].median
        for rate in results.figures[f"runs.ours.w{workers}.per_s"].samples:
            results.add(f"runs.ratio.w{workers}", rate / celery)
