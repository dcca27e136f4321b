"""(13) Scaling with worker processes, and the ceiling of the scheduler and the projector.

One distributed stack (`services.api`, `.scheduler`, `.projector` on RabbitMQ and SQLite) runs the
zero-duration canary batches of (3) with 1, 2, 4 and 8 `services.workers` (capacity 1 each), then with
the workers stopped and one `bench.null_worker` (answers every run at once: no claim, no job) in their
place: the runs per second the scheduler and the projector allow. Beside each rate, the CPU seconds per
1,000 runs of each process and the cores the stack kept busy: where the total reaches the machine's
cores, more workers cannot help.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from bench.cpu import CpuMeter
from bench.cpu import cpu_line
from bench.cpu import idle_rates
from bench.cpu import record_cpu
from bench.cpu import with_bench_process
from bench.environment import Processes
from bench.environment import ServiceProcess
from bench.environment import api_session
from bench.environment import distributed_env
from bench.environment import free_port
from bench.environment import fresh_dir
from bench.environment import processes
from bench.environment import throwaway_vhost
from bench.plan import BenchRun
from bench.profiling import profiled
from bench.profiling import summary
from bench.services import WARM_UP_RUNS
from bench.services import WORKER_CAPACITY
from bench.services import runs_batch
from bench.services import start_worker
from infrastructure.bus.rabbitmq_bus import RabbitMQBus

GROUP = "15 scaling with workers"
GROUP_CPU = "15c scaling: CPU per 1,000 runs"
WORKER_COUNTS = (1, 2, 4, 8)
NULL = "null"  # the configuration with a worker that does nothing
# A subset for a quick before/after comparison, e.g. BENCH_SCALING="1,null" (default: all of them).
SUBSET_ENV = "BENCH_SCALING"
REDISPATCH_S = 300
START_TIMEOUT_S = 300  # 8 workers starting at once on a loaded 2-core machine take their time


def configurations() -> tuple[tuple[int, ...], bool]:
    """The worker counts to measure and whether to measure the null worker (BENCH_SCALING)."""
    chosen = [part.strip() for part in os.environ.get(SUBSET_ENV, "").split(",") if part.strip()]
    if not chosen:
        return WORKER_COUNTS, True
    counts = tuple(sorted({int(part) for part in chosen if part.isdigit() and 0 < int(part) <= 32}))
    return counts, NULL in chosen


def summed_workers(spent: Mapping[str, float]) -> dict[str, float]:
    """Worker processes summed into one row (8 rows of workers would hide the rest of the table)."""
    rows = {name: value for name, value in spent.items() if not name.startswith("worker")}
    workers = [value for name, value in spent.items() if name.startswith("worker")]
    if workers:
        rows["workers (sum)"] = sum(workers)
    return rows


async def measure_configuration(
    run: BenchRun, bus: RabbitMQBus, database: Path, pids: dict[str, int], name: str
) -> None:
    """A warm-up batch, then one measured batch per repetition: runs/s and CPU per process."""
    key = f"scaling.{name}.per_s"
    label = "null worker (scheduler + projector ceiling)" if name == NULL else f"{name[1:]} worker(s)"
    run.results.figure(key, GROUP, label, "runs/s", baseline="scaling.w1.per_s")
    await runs_batch(bus, database, WARM_UP_RUNS, f"s{name}warm")
    for repetition in range(run.plan.repetitions):
        measured = with_bench_process(pids)
        idle = await idle_rates(measured)
        with profiled(pids if repetition == 0 else {}, name) as profiles:
            meter = CpuMeter(measured, profile=True).start()
            rate, failed = await runs_batch(bus, database, run.plan.runs_per_batch, f"s{name}r{repetition}")
            meter.stop()
        meter.net_of(idle)
        if profiles:
            run.log(f"profiles, {name}:\n{summary(profiles)}")
        meter.spent = summed_workers(meter.spent)
        run.results.add(key, rate)
        record_cpu(run.results, GROUP_CPU, f"scaling.cpu.{name}", label, meter, run.plan.runs_per_batch)
        if failed:
            run.note(f"scaling {name} #{repetition + 1}: {failed} runs did not end in success")
        run.log(f"scaling, {label} #{repetition + 1}: {rate:,.0f} runs/s")
        run.log(cpu_line(meter, run.plan.runs_per_batch))


async def measure_scaling(run: BenchRun) -> None:
    data_dir = fresh_dir(run.work_dir, "scaling")
    database = data_dir / "scheduler.sqlite3"
    port = free_port()
    with throwaway_vhost("scaling") as url, processes(data_dir) as group:
        env = distributed_env(
            data_dir,
            url,
            SCHEDULER_PORT=str(port),
            SCHEDULER_WORKER_CAPACITY=str(WORKER_CAPACITY),
            # On a loaded machine a batch may wait in the run queue for over a minute: a re-sent RunJob
            # (the default after 60 s) would be work the figures do not mean to count. Shorter than the
            # batch's deadline (900 s), so a run stranded by a late publisher confirm is re-sent in time.
            SCHEDULER_QUEUED_RUN_REDISPATCH_S=str(REDISPATCH_S),
        )
        projector = group.start("services.projector", env, "projector")
        await projector.wait_for_log("consuming projector.events", timeout=START_TIMEOUT_S)
        scheduler = group.start("services.scheduler", env, "scheduler")
        api_process = group.start("services.api", env, "api")
        named = {"api": api_process.pid, "scheduler": scheduler.pid, "projector": projector.pid}
        workers: list[ServiceProcess] = []
        async with api_session(f"http://127.0.0.1:{port}", group.started, timeout=START_TIMEOUT_S):
            bus = RabbitMQBus(url, connection_name="bench:scaling")
            await bus.start()
            try:
                counts, with_null = configurations()
                for count in counts:
                    while len(workers) < count:
                        workers.append(start_worker(group, env, len(workers) + 1))
                    for worker in workers:
                        await worker.wait_for_log("ready (capacity", timeout=START_TIMEOUT_S)
                    pids = {**named, **{worker.name: worker.pid for worker in workers}}
                    await measure_configuration(run, bus, database, pids, f"w{count}")
                for worker in workers:
                    worker.stop()
                if with_null:
                    null = start_null_worker(group, env)
                    await null.wait_for_log("null worker ready", timeout=START_TIMEOUT_S)
                    pids = {**named, "worker-null": null.pid}
                    await measure_configuration(run, bus, database, pids, NULL)
            finally:
                await bus.close()
    run.note(
        f"scaling: {run.plan.runs_per_batch} zero-duration canary runs per repetition as in (3); CPU from "
        "/proc/<pid>/stat (utime+stime) over each batch, net of each process's idle rate measured for 2 s "
        "just before (heartbeats, timers, polls), the bench process included (it publishes and polls); the "
        f"broker's own CPU is not counted (shared); {os.cpu_count()} cores"
    )


def start_null_worker(group: Processes, env: dict[str, str]) -> ServiceProcess:
    return group.start("bench.null_worker", env, "worker-null")
