"""The worker's outbox: in order, held while the bus is away, bounded without ever dropping an outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime

from contracts.envelope import Event
from contracts.envelope import Message
from contracts.events import JobFinished
from contracts.events import JobStarted
from contracts.events import Progress
from contracts.events import WorkerHeartbeat
from infrastructure.bus.port import BusUnavailable
from services.workers.outbox import MAX_BATCH
from services.workers.outbox import Outbox
from tests.waiting import wait_until

NOW = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


class FlakyBus:
    """Takes messages while `up`; raises `BusUnavailable` otherwise."""

    def __init__(self) -> None:
        self.up = True
        self.published: list[Message] = []
        self.batches: list[list[Message]] = []

    async def publish(self, message: Message) -> None:
        if not self.up:
            raise BusUnavailable("broker away (test double)")
        self.published.append(message)

    async def publish_many(self, messages: Sequence[Message]) -> None:
        self.batches.append(list(messages))
        for message in messages:
            await self.publish(message)


def run_events(execution_id: str, progress: int) -> list[Event]:
    envelope = {"producer": "worker:w1", "job_id": "j", "execution_id": execution_id, "attempt": 1}
    events: list[Event] = [
        JobStarted(**envelope, sequence=1, job_name="j", worker_id="w1", started_at=NOW, scheduled_time=NOW)
    ]
    events += [Progress(**envelope, sequence=2 + n, progress=float(n)) for n in range(progress)]
    events.append(
        JobFinished(**envelope, sequence=2 + progress, status="success", started_at=NOW, finished_at=NOW)
    )
    return events


def heartbeat() -> WorkerHeartbeat:
    return WorkerHeartbeat(producer="worker:w1", worker_id="w1", capacity=1, runs=(), interval_s=1)


async def test_published_at_once_while_the_bus_is_up() -> None:
    bus = FlakyBus()
    outbox = Outbox(bus)  # type: ignore[arg-type]
    events = run_events("e1", 3)
    for event in events:
        await outbox.publish(event)
    assert bus.published == events and outbox.pending == 0


async def test_held_in_order_while_away_and_published_once_back() -> None:
    bus = FlakyBus()
    outbox = Outbox(bus)  # type: ignore[arg-type]
    events = run_events("e1", 3)
    await outbox.publish(events[0])
    bus.up = False
    for event in events[1:]:
        await outbox.publish(event)  # never raises: the run goes on
    assert outbox.pending == len(events) - 1
    bus.up = True
    await wait_until(lambda: outbox.pending == 0, timeout=10, message="the outbox to flush")
    assert bus.published == events
    await outbox.close()


async def test_bounded_oldest_progress_first_never_an_outcome() -> None:
    bus = FlakyBus()
    bus.up = False
    outbox = Outbox(bus, limit=4)  # type: ignore[arg-type]
    first, second = run_events("e1", 5), run_events("e2", 0)
    for event in [*first, heartbeat(), heartbeat(), *second]:
        await outbox.publish(event)
    assert outbox.pending == 4
    bus.up = True
    await wait_until(lambda: outbox.pending == 0, timeout=10, message="the outbox to flush")
    kept = [(event.type, getattr(event, "execution_id", None)) for event in bus.published]
    assert kept == [("JobStarted", "e1"), ("JobFinished", "e1"), ("JobStarted", "e2"), ("JobFinished", "e2")]
    await outbox.close()


async def test_only_the_latest_heartbeat_is_held() -> None:
    bus = FlakyBus()
    bus.up = False
    outbox = Outbox(bus)  # type: ignore[arg-type]
    beats = [heartbeat() for _ in range(5)]
    for beat in beats:
        await outbox.publish(beat)
    assert outbox.pending == 1
    bus.up = True
    assert await outbox.drain(5)
    assert bus.published == [beats[-1]]
    await asyncio.sleep(0)
    await outbox.close()


async def test_what_is_pending_is_published_as_one_batch_in_order() -> None:
    bus = FlakyBus()
    outbox = Outbox(bus)  # type: ignore[arg-type]
    first, second = run_events("e1", 0), run_events("e2", 1)
    outbox.send(first[0])  # a run's start is not waited for
    outbox.send(second[0])
    outbox.send(second[1])
    outbox.send(first[1])
    await outbox.publish(second[2])  # returns once it is confirmed, with everything sent before it
    assert bus.batches == [[first[0], second[0], second[1], first[1], second[2]]]
    assert outbox.pending == 0
    await outbox.close()


async def test_a_paced_report_is_not_waited_for_until_a_full_batch_is_pending() -> None:
    bus = FlakyBus()
    bus.up = False
    outbox = Outbox(bus)  # type: ignore[arg-type]
    envelope = {"producer": "worker:w1", "job_id": "j", "execution_id": "e1", "attempt": 1}
    reports = [Progress(**envelope, sequence=n, progress=50.0) for n in range(1, MAX_BATCH + 2)]
    for report in reports[:MAX_BATCH]:
        await asyncio.wait_for(outbox.send_paced(report), timeout=60)  # queued, never waited for
    assert outbox.pending == MAX_BATCH and not bus.published
    last = asyncio.create_task(outbox.send_paced(reports[-1]))
    await asyncio.sleep(0)
    assert not last.done(), "a full batch is pending: the job waits as for a confirm"
    bus.up = True
    await asyncio.wait_for(last, timeout=60)
    assert bus.published == reports
    await outbox.close()
