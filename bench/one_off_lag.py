"""(13) One-off runs: the lag from a one-off run's `run_at` to its `JobStarted`, and nothing doubled.

Built in this process as `fire_precision` is (scheduler, a worker running zero-duration canary runs, the
projector on SQLite, the in-process bus). `ONE_OFF_RUNS` `TriggerJob` commands with `run_at` spread over a
few seconds ahead are sent at once; each must start once (one `RunQueued`, one `JobStarted`), at its moment.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta

from bench.environment import fresh_dir
from bench.figures import Goal
from bench.figures import percentile
from bench.plan import BenchRun
from contracts.commands import TriggerJob
from contracts.envelope import Message
from contracts.envelope import utc_now
from contracts.events import JobStarted
from contracts.events import RunQueued
from contracts.topology import EVENTS_EXCHANGE
from contracts.topology import PROJECTOR
from contracts.topology import QueueSpec
from domain.run_policy import RunPolicy
from infrastructure.bus.leadership import InProcessElection
from infrastructure.bus.memory_bus import InMemoryBus
from infrastructure.store.claims_port import LocalRunClaims
from infrastructure.store.sqlite_store import SQLiteStore
from services.projector.projector import Projector
from services.scheduler.definitions import JobDefinition
from services.scheduler.service import SchedulerService
from services.scheduler.settings import SchedulerSettings
from services.workers.canary import CANARY_JOB_ID
from services.workers.canary import pipeline_canary
from services.workers.worker import Worker
from services.workers.worker import WorkerTimings

GROUP = "13 one-off runs"
ONE_OFF_RUNS = 100
SPREAD_S = 4.0  # the runs' moments are spread over this many seconds, from LEAD_S ahead
LEAD_S = 1.0
SEEN = QueueSpec(
    "bench.one-offs", EVENTS_EXCHANGE, ("RunQueued", "JobStarted"), durable=False, exclusive=True
)
CANARY = JobDefinition(
    job_id=CANARY_JOB_ID,
    name="canary",
    job_kind=CANARY_JOB_ID,
    trigger="interval:86400",
    kwargs={"duration_s": 0, "steps": 1},
    enabled=False,
    policy=RunPolicy(overlap="allow", max_concurrent=ONE_OFF_RUNS),  # runs 40 ms apart may overlap
)


async def one_off_once(run: BenchRun, repetition: int) -> tuple[list[float], int, int]:
    """(JobStarted lags in ms, runs started, runs started more than once)."""
    data_dir = fresh_dir(run.work_dir, f"one-off-{repetition}")
    settings = SchedulerSettings(data_dir=data_dir, heartbeat_interval_s=5.0, _env_file=None)
    store = SQLiteStore(settings.sqlite_file)
    await store.open()
    bus = InMemoryBus()
    await bus.start()
    seen: list[Message] = []

    async def collect(message: Message) -> None:
        seen.append(message)

    claims = LocalRunClaims()
    worker = Worker(
        bus,
        {CANARY_JOB_ID: pipeline_canary},
        worker_id="bench-one-off",
        claims=claims,
        capacity=64,
        timings=WorkerTimings(shutdown_grace_s=5.0),
    )
    service = SchedulerService(
        bus=bus,
        store=store,
        election=InProcessElection("bench"),
        definitions={CANARY.job_id: CANARY},
        settings=settings,
        scheduler_id="bench",
        claims=claims,
    )
    try:
        await bus.consume_batches(PROJECTOR, Projector(store).on_events, max_batch=256)
        await bus.consume(SEEN, collect, prefetch=1000)
        await worker.start()
        await service.start()
        await service.elected.wait()
        first = utc_now() + timedelta(seconds=LEAD_S)
        for index in range(ONE_OFF_RUNS):
            run_at = first + timedelta(seconds=SPREAD_S * index / ONE_OFF_RUNS)
            command = TriggerJob(
                producer="bench",
                actor="bench",
                job_id=CANARY.job_id,
                execution_id=uuid.uuid4().hex,
                run_at=run_at,
            )
            await bus.publish(command)
        await asyncio.sleep(LEAD_S + SPREAD_S + 2.0)
    finally:
        await service.stop()
        await worker.stop()
        await bus.close()
        await store.close()
    starts = Counter(message.execution_id for message in seen if isinstance(message, JobStarted))
    queued = Counter(message.execution_id for message in seen if isinstance(message, RunQueued))
    lags = [
        (message.occurred_at - message.scheduled_time).total_seconds() * 1000
        for message in seen
        if isinstance(message, JobStarted)
    ]
    doubled = sum(1 for count in (starts | queued).values() if count > 1)
    return lags, len(starts), doubled


async def measure_one_off_runs(run: BenchRun) -> None:
    results = run.results
    results.figure("one_off.started.p50", GROUP, "run_at → JobStarted p50", "ms")
    results.figure("one_off.started.p99", GROUP, "run_at → JobStarted p99", "ms", goal=Goal("<", 50))
    results.figure("one_off.count", GROUP, "one-off runs started per repetition", "runs")
    results.figure(
        "one_off.doubled", GROUP, "one-off runs queued or started twice", "runs", goal=Goal("<", 1)
    )
    for repetition in range(run.plan.repetitions):
        lags, started, doubled = await one_off_once(run, repetition)
        results.add("one_off.started.p50", percentile(lags, 0.5))
        results.add("one_off.started.p99", percentile(lags, 0.99))
        results.add("one_off.count", started)
        results.add("one_off.doubled", doubled)
        run.log(
            f"one-off runs #{repetition + 1}: {started}/{ONE_OFF_RUNS} started, lag p50 "
            f"{percentile(lags, 0.5):.1f} ms, p99 {percentile(lags, 0.99):.1f} ms, doubled {doubled}"
        )
    results.figures["one_off.started.p50"].note = (
        f"{ONE_OFF_RUNS} one-off runs planned at once, their moments spread over {SPREAD_S:g} s from "
        f"{LEAD_S:g} s ahead; in-process (scheduler + worker + projector on SQLite, in-memory bus)"
    )
