"""(10) the cost of each run's own log: canary runs per second with 100 log lines per run against none.

One worker (capacity 4) runs `pipeline_canary` (`duration_s=0`, `steps=1`, and `log_lines=100` or none)
handed to it directly, so the figure is the worker's: the run, its events and its log lines captured,
shipped in batches and stored by the run-log writer (`services.projector.run_logs`) in SQLite. Timed from the
first run handed over to the last run's end *and* its last line stored. On RabbitMQ (a throw-away virtual
host; events and log batches published with confirms) and on the in-process bus. The process's own log
handlers are at WARNING: only the capture sees the INFO lines (what a worker does by default at INFO also
prints them to stderr, which costs as much again and is not the run log's cost).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from collections.abc import Callable
from collections.abc import Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from bench.environment import fresh_dir
from bench.environment import throwaway_vhost
from bench.plan import BenchRun
from contracts.envelope import utc_now
from contracts.events import JobFinished
from contracts.runs import RunJob
from contracts.topology import RUN_LOGS
from infrastructure.bus.memory_bus import InMemoryBus
from infrastructure.bus.port import Bus
from infrastructure.store.claims_port import LocalRunClaims
from infrastructure.store.sqlite_run_logs import SQLiteRunLogs
from services.projector.run_logs import RunLogWriter
from services.workers.canary import CANARY_JOB_ID
from services.workers.canary import pipeline_canary
from services.workers.worker import Worker

GROUP = "10 run logs: cost of logging"
LINES_PER_RUN = 100
CAPACITY = 4


class _CountingBus:
    """The bus, counting the ends published (the measurement waits for them)."""

    def __init__(self, bus: Bus) -> None:
        self._bus = bus
        self.ended = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self._bus, name)

    async def publish(self, message: object) -> None:
        await self._bus.publish(message)  # type: ignore[arg-type]
        self._count([message])

    async def publish_many(self, messages: Sequence[object]) -> None:
        """The worker's outbox publishes what is pending as one batch."""
        await self._bus.publish_many(messages)  # type: ignore[arg-type]
        self._count(messages)

    def _count(self, messages: Sequence[object]) -> None:
        self.ended += sum(isinstance(message, JobFinished) for message in messages)


@asynccontextmanager
async def _bus(kind: str) -> AsyncIterator[Bus]:
    if kind == "memory":
        memory = InMemoryBus()
        await memory.start()
        try:
            yield memory
        finally:
            await memory.close()
        return
    from infrastructure.bus.rabbitmq_bus import RabbitMQBus

    with throwaway_vhost("run-logs") as url:
        rabbit = RabbitMQBus(url, connection_name="bench-run-logs")
        await rabbit.start()
        try:
            yield rabbit
        finally:
            await rabbit.close()


def _request(index: int, log_lines: int) -> RunJob:
    kwargs = {"duration_s": 0, "steps": 1, **({"log_lines": log_lines} if log_lines else {})}
    return RunJob(
        producer="bench", execution_id=f"bench-{log_lines}-{index}", job_id=CANARY_JOB_ID, job_name="canary",
        job_kind=CANARY_JOB_ID, kwargs=kwargs, scheduled_time=utc_now(),
    )  # fmt: skip


async def _until(condition: Callable[[], bool], timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the runs or their lines did not arrive in time")
        await asyncio.sleep(0.005)


async def runs_per_second(kind: str, data_dir: Path, runs: int, log_lines: int) -> float:
    store = SQLiteRunLogs(data_dir / f"run-logs-{kind}-{log_lines}.sqlite3")
    await store.open()
    writer = RunLogWriter(store)
    async with _bus(kind) as bus:
        subscription = await bus.consume_batches(RUN_LOGS, writer.on_batches, max_batch=64)
        counting = _CountingBus(bus)
        worker = Worker(counting, {CANARY_JOB_ID: pipeline_canary}, worker_id="bench",  # type: ignore[arg-type]
                        claims=LocalRunClaims(), capacity=CAPACITY)  # fmt: skip
        await worker.start()
        expected_lines = runs * (log_lines + 1)  # and one line per step
        slots = asyncio.Semaphore(CAPACITY)

        async def one(index: int) -> None:
            async with slots:
                await worker.on_run(_request(index, log_lines))

        started = time.perf_counter()
        await asyncio.gather(*(one(index) for index in range(runs)))
        await _until(lambda: counting.ended >= runs and writer.lines_stored >= expected_lines)
        elapsed = time.perf_counter() - started
        await worker.stop()
        await subscription.cancel()
    await store.close()
    return runs / elapsed


async def measure_run_logs(run: BenchRun) -> None:
    runs = max(100, run.plan.runs_per_batch // 2)
    root = logging.getLogger()
    for kind in ("rabbitmq", "memory"):
        for lines in (0, LINES_PER_RUN):
            baseline = None if lines == 0 else f"run_logs.{kind}.0"
            label = f"{kind}: canary runs/s, {lines} log lines per run"
            run.results.figure(f"run_logs.{kind}.{lines}", GROUP, label, "runs/s", baseline=baseline)
    level = root.level
    root.setLevel(logging.WARNING)
    try:
        for repetition in range(run.plan.repetitions):
            for kind in ("rabbitmq", "memory"):
                for lines in (0, LINES_PER_RUN):
                    data_dir = fresh_dir(run.work_dir, f"run-logs-{kind}-{lines}-{repetition}")
                    rate = await runs_per_second(kind, data_dir, runs, lines)
                    run.results.add(f"run_logs.{kind}.{lines}", rate)
                    run.log(f"run logs {kind} #{repetition + 1}: {lines} lines per run: {rate:.0f} runs/s")
    finally:
        root.setLevel(level)
    run.note(
        f"run logs: {runs} canary runs per figure on one worker (capacity {CAPACITY}); timed until every run "
        "ended and every line was stored (SQLite); the process's own log output at WARNING"
    )
