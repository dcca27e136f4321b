"""`python -m bench.null_worker`: a worker that does nothing, for the scheduler's and projector's ceiling.

It takes the run requests from the default pool's queue in batches and answers each at once with the two
events a zero-duration run produces (`JobStarted`, `JobFinished` success), published concurrently with
confirms: no claim in the store, no job, no run log. With it the scheduler and the projector are the only
real work left per run, so the runs per second it gets are their ceiling (item 4 of issue 18).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence

from contracts.envelope import Message
from contracts.envelope import utc_now
from contracts.events import JobFinished
from contracts.events import JobStarted
from contracts.runs import RunJob
from contracts.topology import RUNS
from infrastructure.bus.rabbitmq_bus import RabbitMQBus
from infrastructure.process import run_until_stop_signal

PRODUCER = "worker:bench-null"


def answers(run: RunJob) -> tuple[JobStarted, JobFinished]:
    """The events of a run that started and succeeded at once."""
    envelope = {
        "producer": PRODUCER,
        "correlation_id": run.correlation_id,
        "causation_id": run.message_id,
        "job_id": run.job_id,
        "execution_id": run.execution_id,
        "attempt": run.attempt,
    }
    now = utc_now()
    started = JobStarted(
        **envelope,
        sequence=1,
        job_name=run.job_name,
        worker_id="bench-null",
        started_at=now,
        scheduled_time=run.scheduled_time,
        is_manual=run.is_manual,
    )
    finished = JobFinished(**envelope, sequence=2, status="success", started_at=now, finished_at=now)
    return started, finished


async def main() -> None:
    bus = RabbitMQBus(os.environ["SCHEDULER_RABBITMQ_URL"], connection_name="bench:null-worker")
    await bus.start()

    async def on_runs(messages: Sequence[Message]) -> None:
        events = [event for message in messages if isinstance(message, RunJob) for event in answers(message)]
        await bus.publish_many(events)

    try:
        await bus.consume_batches(RUNS, on_runs, max_batch=256, prefetch=512)
        print("null worker ready", flush=True)
        await run_until_stop_signal(None, lambda: "ok")
    finally:
        await bus.close()


if __name__ == "__main__":
    asyncio.run(main())
