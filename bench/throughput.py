"""(1) Transport ceiling and (2) event throughput through our bus, projector and store.

Both publish the same encoded event bodies with the same window of unconfirmed messages, and consume in
a separate process in the distributed case, acknowledging the same way (batches, one multiple ack each,
as the projector), so their ratio isolates what our code adds to the broker. The embedded path is compared
with an in-process ceiling instead: the same events written by the projector straight into SQLite, in
batches of the same size, with no bus (so the ratio is what the in-memory bus adds). The transport ones are
is measured twice: publishing while consuming (first publish → last ack / last event stored), and consuming
alone, draining a queue filled beforehand with no consumer (first ack → last ack / first event stored →
last event stored): the sustained rate of the consuming side, the projector's when it catches up.
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import aio_pika

from bench.environment import BenchError
from bench.environment import distributed_env
from bench.environment import fresh_dir
from bench.environment import processes
from bench.environment import throwaway_vhost
from bench.environment import wait_for
from bench.figures import Goal
from bench.plan import BenchRun
from bench.publishing import IN_FLIGHT
from bench.publishing import publish_window
from bench.workload import execution_events
from contracts.codec import encode
from contracts.envelope import Event
from contracts.envelope import Message
from contracts.topology import PROJECTOR
from infrastructure.bus.memory_bus import InMemoryBus
from infrastructure.bus.rabbitmq_bus import RabbitMQBus
from infrastructure.bus.rabbitmq_topology import outgoing
from infrastructure.store.sqlite_store import SQLiteStore
from services.projector.projector import Projector

GROUP_TRANSPORT = "1 transport ceiling"
GROUP_EVENTS = "2 event throughput"
THROUGHPUT_GOAL = Goal(">=", 0.7)


def stored_event_count(database: Path) -> int:
    """Rows in the event store, read from outside the process that writes them (read-only)."""
    if not database.exists():
        return 0
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
    try:
        return int(connection.execute("SELECT COUNT(*) FROM scheduler_events").fetchone()[0])
    except sqlite3.OperationalError:  # the table is not created yet
        return 0
    finally:
        connection.close()


async def transport_once(url: str, bodies: list[bytes], queue_name: str, *, drain: bool = False) -> float:
    """Raw AMQP: persistent publishes with confirms (window of IN_FLIGHT) to a topic exchange, consumed
    by another process that acknowledges as the projector does (batches, one multiple ack each); messages
    per second from the first publish to the last ack. With
    `drain`, everything is published (and confirmed) before the consumer starts, and the rate is the
    consumer's alone: from its first ack to its last."""
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(
            "bench.transport", aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(queue_name, durable=True)
        await queue.bind(exchange, routing_key="#")

        # Published as `RabbitMQBus` publishes (the frame's properties straight to the channel's AMQP layer,
        # persistent JSON), so the ceiling's publishing costs what ours does.
        underlay = await channel.get_underlay_channel()
        properties = outgoing()

        async def send(body: bytes) -> None:
            await underlay.basic_publish(
                body, exchange=exchange.name, routing_key="JobStarted", properties=properties
            )

        if drain:
            await publish_window(send, bodies, IN_FLIGHT)
        consumer = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.transport_consumer",
            url,
            queue_name,
            str(len(bodies)),
            stdout=asyncio.subprocess.PIPE,
        )
        assert consumer.stdout is not None
        try:
            ready = await asyncio.wait_for(consumer.stdout.readline(), 30)
            if ready.strip() != b"ready":
                raise BenchError(f"transport consumer did not start: {ready!r}")
            started = time.time()
            if not drain:
                await publish_window(send, bodies, IN_FLIGHT)
            done = await asyncio.wait_for(consumer.stdout.readline(), 120)
            last_ack, first_ack = (float(field) for field in done.split()[1:3])
        finally:
            if consumer.returncode is None:
                consumer.kill()
            await consumer.wait()
        await queue.delete(if_unused=False, if_empty=False)
    if drain:
        return (len(bodies) - 1) / (last_ack - first_ack)
    return len(bodies) / (last_ack - started)


async def measure_transport(run: BenchRun, events: list[Event]) -> None:
    figure, drain_figure = "transport.msgs_per_s", "transport.drain.msgs_per_s"
    run.results.figure(
        figure,
        GROUP_TRANSPORT,
        "raw AMQP publish (confirms, 100 in flight) + consume (batch acks) in 2nd process",
        "msg/s",
        note=f"{len(events)} persistent messages of ~{sum(len(encode(e)) for e in events[:200]) // 200} B",
    )
    run.results.figure(
        drain_figure,
        GROUP_TRANSPORT,
        "consume side alone: 2nd process drains them (batch acks), published beforehand",
        "msg/s",
        note="first ack → last ack; the queue filled (confirmed) before the consumer starts",
    )
    bodies = [encode(event) for event in events]
    with throwaway_vhost("transport") as url:
        for repetition in range(run.plan.repetitions):
            rate = await transport_once(url, bodies, f"bench.transport.{repetition}")
            run.results.add(figure, rate)
            drained = await transport_once(url, bodies, f"bench.transport.drain.{repetition}", drain=True)
            run.results.add(drain_figure, drained)
            run.log(f"transport ceiling #{repetition + 1}: {rate:,.0f} msg/s; drained {drained:,.0f} msg/s")


async def inprocess_ceiling_once(events: list[Event], database: Path, batch: int = 256) -> float:
    """The embedded path without its bus: `Projector.project_batch` on SQLite in batches of `batch` (the
    projector's batch size), in this process; events per second."""
    store = SQLiteStore(database)
    await store.open()
    projector = Projector(store)
    try:
        started = time.perf_counter()
        for start in range(0, len(events), batch):
            await projector.project_batch(events[start : start + batch])
        finished = time.perf_counter()
    finally:
        await store.close()
    return len(events) / (finished - started)


async def embedded_once(events: list[Event], database: Path) -> float:
    """InMemoryBus + Projector + SQLiteStore in this process: events per second, publish to last applied."""
    store = SQLiteStore(database)
    await store.open()
    bus = InMemoryBus()
    await bus.start()
    projector = Projector(store)
    done = asyncio.get_running_loop().create_future()
    handled = 0

    async def count_handled(messages: Sequence[Message]) -> None:
        nonlocal handled
        await projector.on_events(messages)
        handled += len(messages)
        if handled == len(events) and not done.done():
            done.set_result(time.perf_counter())

    try:
        await bus.consume_batches(PROJECTOR, count_handled, max_batch=256)
        started = time.perf_counter()
        await publish_window(bus.publish, events, IN_FLIGHT)
        finished: float = await asyncio.wait_for(done, 600)
    finally:
        await bus.close()
        await store.close()
    return len(events) / (finished - started)


async def distributed_once(run: BenchRun, url: str, events: list[Event], repetition: int) -> float:
    """RabbitMQBus → projector.events → `python -m services.projector` → SQLite: events per second from
    the first publish until the last event is in the event store (polled every 10 ms)."""
    data_dir = fresh_dir(run.work_dir, f"events-distributed-{repetition}")
    database = data_dir / "scheduler.sqlite3"
    with processes(data_dir) as group:
        projector = group.start("services.projector", distributed_env(data_dir, url), "projector")
        await projector.wait_for_log(f"consuming {PROJECTOR.name}")
        bus = RabbitMQBus(url, connection_name="bench:publisher")
        await bus.start()
        try:
            started = time.time()
            await publish_window(bus.publish, events, IN_FLIGHT)

            async def all_stored() -> bool:
                projector.check_alive()
                return await asyncio.to_thread(stored_event_count, database) >= len(events)

            finished = await wait_for(all_stored, timeout=600, interval=0.01, what="the projector")
        finally:
            await bus.close()
    return len(events) / (finished - started)


async def drain_once(run: BenchRun, url: str, events: list[Event], repetition: int) -> float:
    """The projector alone: the events published (RabbitMQBus, confirmed, persistent) into its queue with no
    consumer, then `python -m services.projector` started; events per second from the first event seen in
    the event store to the last (polled every 10 ms; the events of the first poll that sees any are not
    counted), so its start-up is left out."""
    data_dir = fresh_dir(run.work_dir, f"events-drain-{repetition}")
    database = data_dir / "scheduler.sqlite3"
    bus = RabbitMQBus(url, connection_name="bench:publisher")
    await bus.start()  # declares the standing queues, the projector's included
    try:
        await publish_window(bus.publish, events, IN_FLIGHT)
    finally:
        await bus.close()
    first: tuple[float, int] | None = None  # (time, events stored) when the first events were seen
    with processes(data_dir) as group:
        projector = group.start("services.projector", distributed_env(data_dir, url), "projector")

        async def all_stored() -> bool:
            nonlocal first
            projector.check_alive()
            stored = await asyncio.to_thread(stored_event_count, database)
            if stored and first is None:
                first = (time.time(), stored)
            return stored >= len(events)

        finished = await wait_for(all_stored, timeout=600, interval=0.01, what="the projector")
    assert first is not None
    started, already = first
    if finished <= started:
        raise BenchError(f"the projector stored all {len(events):,} events between two polls")
    return (len(events) - already) / (finished - started)


async def measure_event_throughput(run: BenchRun, events: list[Event]) -> None:
    results = run.results
    results.figure(
        "events.inprocess.per_s",
        GROUP_EVENTS,
        "in-process ceiling: projector → SQLite (append + apply), batches of 256, no bus",
        "events/s",
    )
    ceilings = {"embedded": "events.inprocess.per_s", "distributed": "transport.msgs_per_s"}
    for mode, ceiling_figure in ceilings.items():
        results.figure(
            f"events.{mode}.per_s",
            GROUP_EVENTS,
            f"{mode}: bus → projector → SQLite (append + apply)",
            "events/s",
            baseline=ceiling_figure,
        )
        results.figure(
            f"events.{mode}.ratio",
            GROUP_EVENTS,
            f"{mode}: ratio to the {'in-process' if mode == 'embedded' else 'transport'} ceiling",
            "×",
            goal=THROUGHPUT_GOAL,
        )
    for repetition in range(run.plan.repetitions):
        directory = fresh_dir(run.work_dir, f"events-inprocess-{repetition}")
        ceiling_rate = await inprocess_ceiling_once(events, directory / "scheduler.sqlite3")
        results.add("events.inprocess.per_s", ceiling_rate)
        directory = fresh_dir(run.work_dir, f"events-embedded-{repetition}")
        rate = await embedded_once(events, directory / "scheduler.sqlite3")
        results.add("events.embedded.per_s", rate)
        run.log(
            f"event throughput embedded #{repetition + 1}: {rate:,.0f} events/s "
            f"(in-process ceiling {ceiling_rate:,.0f})"
        )
    results.figure(
        "events.drain.per_s",
        GROUP_EVENTS,
        "distributed, projector alone: drains the same events, published beforehand → SQLite",
        "events/s",
        baseline="transport.drain.msgs_per_s",
        note="python -m services.projector started on a queue already holding every event; first event "
        "stored → last (start-up excluded); ratio to the raw consume side of (1)",
    )
    with throwaway_vhost("events") as url:
        for repetition in range(run.plan.repetitions):
            rate = await distributed_once(run, url, events, repetition)
            results.add("events.distributed.per_s", rate)
            run.log(f"event throughput distributed #{repetition + 1}: {rate:,.0f} events/s")
    with throwaway_vhost("drain") as url:
        for repetition in range(run.plan.repetitions):
            rate = await drain_once(run, url, events, repetition)
            results.add("events.drain.per_s", rate)
            run.log(f"projector alone, draining #{repetition + 1}: {rate:,.0f} events/s")
    for mode, ceiling_figure in ceilings.items():
        ceiling = results.figures[ceiling_figure].median
        for rate in results.figures[f"events.{mode}.per_s"].samples:
            results.add(f"events.{mode}.ratio", rate / ceiling)


async def measure_transport_and_events(run: BenchRun) -> None:
    events = execution_events(run.plan.throughput_events, run.plan.seed)
    await measure_transport(run, events[: run.plan.transport_messages])
    await measure_event_throughput(run, events)
