"""The bus port's behaviour, checked against every adapter (`memory`, and `rabbitmq` as integration)."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime

import aio_pika
import pytest

from contracts.commands import PauseJob
from contracts.envelope import Message
from contracts.events import JobFinished
from contracts.events import JobStarted
from contracts.events import Progress
from contracts.runs import RunJob
from contracts.topology import COMMANDS
from contracts.topology import EVENTS_EXCHANGE
from contracts.topology import RUNS
from contracts.topology import QueueSpec
from contracts.topology import runs_queue
from infrastructure.bus.memory_bus import InMemoryBus
from infrastructure.bus.port import Bus
from infrastructure.bus.port import BusUnavailable
from infrastructure.bus.port import DeadLetter
from infrastructure.bus.port import Reject
from infrastructure.bus.port import Subscription
from infrastructure.bus.rabbitmq_bus import RabbitMQBus
from infrastructure.bus.retry import connect_with_retry
from tests.ports.conftest import BusMaker
from tests.rabbitmq import rabbitmqctl
from tests.waiting import wait_until

NOW = datetime(2025, 1, 6, 1, 30, tzinfo=UTC)
ALL_EVENTS = QueueSpec("test.events.all", EVENTS_EXCHANGE)
WORK_EVENTS = QueueSpec("test.events.work", EVENTS_EXCHANGE, binding_keys=("JobStarted", "Progress"))
"""Not bound to the fence's `JobFinished`, so tests that pass the fence see only their own events."""
FENCE = QueueSpec("test.events.fence", EVENTS_EXCHANGE, binding_keys=("JobFinished",))


def pause_job(job_id: str = "job-1") -> PauseJob:
    return PauseJob(producer="test", actor="tester", job_id=job_id)


def job_started(execution_id: str = "exec-1") -> JobStarted:
    return JobStarted(
        producer="test",
        job_id="job-1",
        execution_id=execution_id,
        job_name="daily sync",
        worker_id="worker-1",
        started_at=NOW,
        scheduled_time=NOW,
    )


def progress(execution_id: str = "exec-1", percent: float = 50) -> Progress:
    return Progress(producer="test", job_id="job-1", execution_id=execution_id, progress=percent)


def job_finished(execution_id: str = "exec-1") -> JobFinished:
    return JobFinished(
        producer="test",
        job_id="job-1",
        execution_id=execution_id,
        status="success",
        started_at=NOW,
        finished_at=NOW,
    )


def run_job() -> RunJob:
    return RunJob(
        producer="test",
        execution_id="exec-1",
        job_id="job-1",
        job_name="daily sync",
        job_kind="sync_daily",
        kwargs={"codes": ["000001", "600000"], "full": True},
        scheduled_time=NOW,
        is_manual=True,
    )


class Recorder:
    """A handler that keeps what it was given; optionally fails on some messages."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.failures: dict[str, BaseException] = {}

    async def __call__(self, message: Message) -> None:
        failure = self.failures.get(message.message_id)
        if failure is not None:
            raise failure
        self.messages.append(message)

    @property
    def ids(self) -> list[str]:
        return [message.message_id for message in self.messages]


async def take_dead_letters(bus: Bus, count: int) -> list[DeadLetter]:
    """Collect `count` dead letters (the broker may need a moment to route them)."""
    letters: list[DeadLetter] = []

    async def collected() -> bool:
        letters.extend(await bus.take_dead_letters())
        return len(letters) >= count

    await wait_until(collected, message=f"{count} dead letters, got {letters}")
    return letters


async def pass_fence(bus: Bus) -> None:
    """Publish a marker on another queue and wait for it: what was published before has been routed."""
    fence = Recorder()
    subscription = await bus.consume(FENCE, fence)
    marker = job_finished("fence")
    await bus.publish(marker)
    await wait_until(lambda: marker in fence.messages, message="fence marker")
    await subscription.cancel()


@pytest.mark.parametrize(
    ("message", "queue"),
    [
        pytest.param(pause_job(), COMMANDS, id="command"),
        pytest.param(job_started(), ALL_EVENTS, id="event"),
        pytest.param(run_job(), RUNS, id="run"),
    ],
)
async def test_a_published_message_arrives_equal(bus: Bus, message: Message, queue: QueueSpec) -> None:
    recorder = Recorder()
    await bus.consume(queue, recorder)

    await bus.publish(message)

    await wait_until(lambda: len(recorder.messages) == 1, message="delivery")
    assert recorder.messages == [message]
    assert recorder.messages[0] is not message  # a decoded copy, never the publisher's object


async def test_connected_while_started(bus_maker: BusMaker) -> None:
    bus = await bus_maker()
    assert bus.connected
    await bus.close()
    assert not bus.connected


async def yield_to_the_loop() -> None:
    """Let other tasks run once (so that concurrent handling, if any, would interleave)."""
    ready = asyncio.Event()
    asyncio.get_running_loop().call_soon(ready.set)
    await ready.wait()


async def test_deliveries_are_handled_one_at_a_time_in_order(bus: Bus) -> None:
    handled: list[Message] = []
    in_handler = 0
    most_in_handler = 0

    async def handler(message: Message) -> None:
        nonlocal in_handler, most_in_handler
        in_handler += 1
        most_in_handler = max(most_in_handler, in_handler)
        await yield_to_the_loop()
        handled.append(message)
        in_handler -= 1

    await bus.consume(WORK_EVENTS, handler, prefetch=64)
    events = [progress(f"exec-{index}") for index in range(50)]
    for event in events:
        await bus.publish(event)

    await wait_until(lambda: len(handled) == 50, message="all events")
    assert handled == events
    assert most_in_handler == 1


async def test_events_are_routed_by_type(bus: Bus) -> None:
    only_starts_and_ends = Recorder()
    everything = Recorder()
    await bus.consume(
        QueueSpec("test.events.lifecycle", EVENTS_EXCHANGE, binding_keys=("JobStarted", "JobFinished")),
        only_starts_and_ends,
    )
    await bus.consume(ALL_EVENTS, everything)
    published = [progress(percent=10), job_started(), progress(percent=20), job_finished()]

    await bus.publish_many(published)

    await wait_until(lambda: len(everything.messages) == 4, message="all events")
    await wait_until(lambda: len(only_starts_and_ends.messages) == 2, message="bound events")
    assert [message.type for message in only_starts_and_ends.messages] == ["JobStarted", "JobFinished"]
    assert everything.messages == published


async def test_a_retired_binding_routes_nothing_any_more(bus: Bus) -> None:
    """A durable queue bound to a key by an earlier version stops receiving it once declared without it."""
    name = "test.events.retired"
    earlier = QueueSpec(name, EVENTS_EXCHANGE, binding_keys=("JobStarted", "Progress"))
    await bus.declare(earlier)
    now = QueueSpec(
        name, EVENTS_EXCHANGE, binding_keys=("JobStarted", "JobFinished"), retired_keys=("Progress",)
    )
    received = Recorder()
    await bus.consume(now, received)
    everything = Recorder()
    await bus.consume(ALL_EVENTS, everything)

    await bus.publish_many([progress(), job_started(), progress(percent=60), job_finished()])

    await wait_until(lambda: len(everything.messages) == 4, message="all events")
    await wait_until(lambda: len(received.messages) == 2, message="bound events")
    assert [message.type for message in received.messages] == ["JobStarted", "JobFinished"]


async def test_competing_consumers_share_the_work(bus: Bus) -> None:
    first, second = Recorder(), Recorder()
    await bus.consume(RUNS, first, prefetch=1)
    await bus.consume(RUNS, second, prefetch=1)
    runs = [run_job().model_copy(update={"execution_id": f"exec-{index}"}) for index in range(100)]

    await bus.publish_many(runs)

    await wait_until(lambda: len(first.ids) + len(second.ids) >= 100, message="all runs handled")
    await pass_fence(bus)
    assert sorted(first.ids + second.ids) == sorted(run.message_id for run in runs)
    assert first.ids, "both consumers should get work"
    assert second.ids, "both consumers should get work"


async def test_single_active_consumer_gets_everything(bus: Bus) -> None:
    active, standby = Recorder(), Recorder()
    await bus.consume(COMMANDS, active)
    await bus.consume(COMMANDS, standby)
    commands = [pause_job(f"job-{index}") for index in range(20)]

    await bus.publish_many(commands)

    await wait_until(lambda: len(active.messages) == 20, message="all commands on the active consumer")
    assert active.ids == [command.message_id for command in commands]
    assert standby.messages == []


async def test_exclusive_queues_give_every_consumer_its_own_copy(bus: Bus) -> None:
    spec = QueueSpec("test.control", EVENTS_EXCHANGE, ("JobFinished",), durable=False, exclusive=True)
    first, second = Recorder(), Recorder()
    await bus.consume(spec, first)
    second_subscription = await bus.consume(spec, second)

    await bus.publish(job_finished("exec-a"))
    await wait_until(lambda: len(first.messages) == 1 and len(second.messages) == 1, message="fan-out")

    await second_subscription.cancel()
    await bus.publish(job_finished("exec-b"))
    await wait_until(lambda: len(first.messages) == 2, message="second event")
    assert len(second.messages) == 1


@pytest.mark.parametrize(
    ("routing_key", "body", "reason_part"),
    [
        pytest.param("JobStarted", b"{not json", "not valid JSON", id="malformed"),
        pytest.param(
            "Nope",
            json.dumps({"type": "Nope", "version": 1, "producer": "x"}).encode(),
            "unknown message type 'Nope'",
            id="unknown-type",
        ),
        pytest.param(
            "JobStarted",
            json.dumps({"type": "JobStarted", "version": 1, "producer": "x", "job_id": "j"}).encode(),
            "invalid JobStarted v1",
            id="invalid-fields",
        ),
        pytest.param(
            "JobStarted",
            b'{"type": "JobStarted", "x": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
            "nested deeper than 48 levels (10001)",
            id="nested-10000",
        ),
        pytest.param(
            "JobStarted",
            b'{"type": "JobStarted", "x": "' + b"a" * (5 * 1024 * 1024) + b'"}',
            "JSON larger than",
            id="5-MiB",
        ),
    ],
)
async def test_a_poison_message_is_dead_lettered_with_its_reason(
    bus: Bus, routing_key: str, body: bytes, reason_part: str
) -> None:
    recorder = Recorder()
    await bus.consume(ALL_EVENTS, recorder)

    await bus.publish_raw(EVENTS_EXCHANGE, routing_key, body)
    good = job_started()
    await bus.publish(good)

    await wait_until(lambda: recorder.messages == [good], message="the next good message")
    [letter] = await take_dead_letters(bus, 1)
    assert letter.body == body
    assert reason_part in letter.reason
    assert letter.original_queue == ALL_EVENTS.name
    assert await bus.take_dead_letters() == []


async def test_a_rejected_message_is_dead_lettered_with_the_handlers_reason(bus: Bus) -> None:
    recorder = Recorder()
    rejected, good = pause_job("job-bad"), pause_job("job-good")
    recorder.failures[rejected.message_id] = Reject("why")
    await bus.consume(COMMANDS, recorder)

    await bus.publish_many([rejected, good])

    await wait_until(lambda: recorder.messages == [good], message="the next good message")
    [letter] = await take_dead_letters(bus, 1)
    assert letter.reason == "why"
    assert letter.original_queue == COMMANDS.name
    assert json.loads(letter.body)["message_id"] == rejected.message_id


async def test_a_handler_hitting_the_recursion_limit_dead_letters_and_the_consumer_goes_on(bus: Bus) -> None:
    recorder = Recorder()
    failing, good = job_started("exec-deep"), job_started("exec-fine")
    recorder.failures[failing.message_id] = RecursionError("maximum recursion depth exceeded")
    await bus.consume(ALL_EVENTS, recorder)

    await bus.publish(failing)
    await bus.publish(good)

    await wait_until(lambda: recorder.messages == [good], message="the next good message")
    [letter] = await take_dead_letters(bus, 1)
    assert "RecursionError" in letter.reason


async def test_a_failing_handler_dead_letters_and_the_consumer_goes_on(bus: Bus) -> None:
    recorder = Recorder()
    failing, good = job_started("exec-bad"), job_started("exec-good")
    recorder.failures[failing.message_id] = RuntimeError("disk full")
    await bus.consume(ALL_EVENTS, recorder)

    await bus.publish(failing)
    await bus.publish(good)

    await wait_until(lambda: recorder.messages == [good], message="the next good message")
    [letter] = await take_dead_letters(bus, 1)
    assert "RuntimeError" in letter.reason
    assert "disk full" in letter.reason


async def test_pause_gives_back_unhandled_deliveries_and_resume_gets_them(bus: Bus) -> None:
    events = [job_started(f"exec-{index}") for index in range(5)]
    handled: list[Message] = []
    subscription: Subscription | None = None

    async def pause_after_first(message: Message) -> None:
        handled.append(message)
        if len(handled) == 1:
            assert subscription is not None
            await subscription.pause()  # from inside the handler, as a busy worker does

    subscription = await bus.consume(WORK_EVENTS, pause_after_first)
    await subscription.pause()
    await bus.publish_many(events)
    await pass_fence(bus)
    assert handled == [], "no delivery while paused"

    await subscription.resume()  # the queued events arrive as a batch; the handler pauses on the first
    await wait_until(lambda: len(handled) == 1, message="first delivery")
    late = job_started("exec-late")
    await bus.publish(late)
    await pass_fence(bus)
    assert handled == events[:1], "no delivery while paused"

    await subscription.resume()

    await wait_until(lambda: len(handled) == 6, message="everything after resume")
    await pass_fence(bus)
    assert handled == [*events, late]


async def test_pause_from_outside_and_resume(bus: Bus) -> None:
    recorder = Recorder()
    subscription = await bus.consume(WORK_EVENTS, recorder)
    await bus.publish(job_started("exec-1"))
    await wait_until(lambda: len(recorder.messages) == 1, message="first delivery")

    await subscription.pause()
    await bus.publish(job_started("exec-2"))
    await pass_fence(bus)
    assert len(recorder.messages) == 1

    await subscription.resume()
    await wait_until(lambda: len(recorder.messages) == 2, message="delivery after resume")


async def test_publish_many_delivers_each_message_exactly_once(bus: Bus) -> None:
    recorder = Recorder()
    await bus.consume(WORK_EVENTS, recorder)
    events = [progress(f"exec-{index}", percent=index % 100) for index in range(500)]

    await bus.publish_many(events)

    await wait_until(lambda: len(recorder.messages) >= 500, timeout=30, message="500 events")
    await pass_fence(bus)
    counts = Counter(recorder.ids)
    assert set(counts) == {event.message_id for event in events}
    assert set(counts.values()) == {1}


async def test_publish_needs_a_started_bus(bus_maker: BusMaker) -> None:
    unstarted = bus_maker.make()
    with pytest.raises(BusUnavailable):
        await unstarted.publish(pause_job())

    bus = await bus_maker()
    await bus.close()
    with pytest.raises(BusUnavailable):
        await bus.publish(pause_job())
    with pytest.raises(BusUnavailable):
        await bus.publish_many([pause_job()])


# RabbitMQ only: what only a broker can show.


@pytest.mark.integration
async def test_messages_wait_in_durable_queues_for_a_later_consumer(rabbitmq_maker: BusMaker) -> None:
    publisher = await rabbitmq_maker()
    commands = [pause_job(f"job-{index}") for index in range(3)]
    await publisher.publish_many(commands)
    await publisher.close()

    consumer = await rabbitmq_maker()  # a new connection
    recorder = Recorder()
    await consumer.consume(COMMANDS, recorder)

    await wait_until(lambda: len(recorder.messages) == 3, message="commands published earlier")
    assert recorder.messages == commands


@pytest.mark.integration
async def test_messages_are_persistent_json_with_envelope_properties(rabbitmq_maker: BusMaker) -> None:
    assert rabbitmq_maker.vhost is not None
    bus = await rabbitmq_maker()
    command = pause_job()
    await bus.publish(command)

    connection = await aio_pika.connect(rabbitmq_maker.vhost.url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(COMMANDS.name)
        # A consumer, not basic.get: a quorum queue with a single active consumer refuses basic.get.
        async with queue.iterator(no_ack=True) as deliveries:
            async with asyncio.timeout(10):
                delivered = await anext(aiter(deliveries))
    assert delivered.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert delivered.content_type == "application/json"
    assert delivered.message_id == command.message_id
    assert delivered.type == "PauseJob"
    assert delivered.correlation_id == command.correlation_id


@pytest.mark.integration
async def test_the_connection_recovers_after_the_broker_drops_it(rabbitmq_maker: BusMaker) -> None:
    assert rabbitmq_maker.vhost is not None
    # Slow enough to reconnect that the test sees the gap, whatever the rabbitmqctl exit takes.
    bus = await rabbitmq_maker(reconnect_interval=3.0)
    recorder = Recorder()
    await bus.consume(ALL_EVENTS, recorder)
    await bus.publish(job_started("exec-before"))
    await wait_until(lambda: len(recorder.messages) == 1, message="delivery before the drop")

    await rabbitmqctl("close_all_connections", "--vhost", rabbitmq_maker.vhost.name, "test: recovery")
    await wait_until(lambda: not bus.connected, timeout=2, message="the bus notices the drop")
    with pytest.raises(BusUnavailable):
        await bus.publish(job_started("exec-while-down"))

    after = job_started("exec-after")

    async def published() -> bool:
        try:
            await bus.publish(after)
        except BusUnavailable:
            return False
        return True

    await wait_until(published, timeout=30, message="publish works again")
    await wait_until(lambda: after in recorder.messages, timeout=30, message="consumer restored")


async def test_start_raises_bus_unavailable_when_the_broker_is_unreachable() -> None:
    bus = RabbitMQBus("amqp://guest:guest@127.0.0.1:1/", connection_name="test unreachable")
    with pytest.raises(BusUnavailable):
        await bus.start()
    assert not bus.connected


class FlakyBus(InMemoryBus):
    """A bus whose broker answers only from the `failures + 1`-th start."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures
        self.starts = 0

    async def start(self) -> None:
        self.starts += 1
        if self.starts <= self.failures:
            raise BusUnavailable("connection refused")
        await super().start()


async def test_connect_with_retry_backs_off_until_the_broker_answers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = FlakyBus(failures=2)
    with caplog.at_level(logging.WARNING):
        await connect_with_retry(bus, initial_delay=0.001, max_delay=0.002)
    assert bus.connected
    assert bus.starts == 3
    assert [record.getMessage().split(":")[0] for record in caplog.records] == [
        "broker unreachable, retrying in 0.001 s (attempt 1)",
        "broker unreachable, retrying in 0.002 s (attempt 2)",
    ]
    await bus.close()


async def test_connect_with_retry_gives_up_after_the_given_attempts() -> None:
    bus = FlakyBus(failures=5)
    with pytest.raises(BusUnavailable):
        await connect_with_retry(bus, attempts=3, initial_delay=0.001)
    assert bus.starts == 3


async def test_runs_are_routed_by_worker_pool_to_a_declared_queue(bus: Bus) -> None:
    """A pool's queue declared before its workers come keeps their runs; other pools never see them."""
    history = runs_queue("history")
    await bus.declare(history)
    await bus.publish(run_job().model_copy(update={"pool": "history", "execution_id": "for-history"}))
    await bus.publish(run_job().model_copy(update={"execution_id": "for-default"}))
    got: dict[str, list[str]] = {"history": [], "default": []}

    async def collect(pool: str, message: Message) -> None:
        assert isinstance(message, RunJob)
        got[pool].append(message.execution_id)

    await bus.consume(history, lambda message: collect("history", message))
    await bus.consume(RUNS, lambda message: collect("default", message))
    await wait_until(lambda: len(got["history"]) == 1 and len(got["default"]) == 1)
    assert got == {"history": ["for-history"], "default": ["for-default"]}


async def test_a_concurrent_subscription_handles_several_deliveries_at_once(bus: Bus) -> None:
    """With concurrency 4, four slow handlers overlap; each message is still handled exactly once."""
    in_flight = 0
    most_in_flight = 0
    handled: list[str] = []
    release = asyncio.Event()

    async def slow(message: Message) -> None:
        nonlocal in_flight, most_in_flight
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        await release.wait()
        in_flight -= 1
        assert isinstance(message, Progress)
        handled.append(message.execution_id)

    queue = QueueSpec("test.concurrent", EVENTS_EXCHANGE, binding_keys=("Progress",))
    await bus.consume(queue, slow, prefetch=8, concurrency=4)
    await bus.publish_many([progress(f"exec-{number}") for number in range(8)])
    await wait_until(lambda: in_flight == 4)
    release.set()
    await wait_until(lambda: len(handled) == 8)
    assert most_in_flight == 4
    assert sorted(handled) == sorted(f"exec-{number}" for number in range(8))


async def test_batches_arrive_in_order_and_a_failing_message_is_dead_lettered_alone(bus: Bus) -> None:
    batches: list[list[str]] = []

    async def handle(messages: Sequence[Message]) -> None:
        ids = [getattr(message, "execution_id", "") for message in messages]
        if "exec-poison" in ids:
            raise Reject("poison in the batch")
        batches.append(ids)

    queue = QueueSpec("test.batches", EVENTS_EXCHANGE, binding_keys=("Progress",))
    names = [f"exec-{number:03}" for number in range(300)]
    names.insert(150, "exec-poison")
    await bus.declare(queue)  # so that everything is waiting when the consumer comes: batches
    await bus.publish_many([progress(name) for name in names])
    subscription = await bus.consume_batches(queue, handle, max_batch=64)
    await wait_until(lambda: sum(len(batch) for batch in batches) == 300)
    handled = [name for batch in batches for name in batch]
    assert handled == [name for name in names if name != "exec-poison"], "in order, each once"
    assert max(len(batch) for batch in batches) > 1, "delivered in batches"
    assert max(len(batch) for batch in batches) <= 64
    dead = await bus.take_dead_letters()
    assert [letter.reason for letter in dead] == ["poison in the batch"]

    # Every message was settled: a new consumer gets nothing before a marker published after them all
    # (what is left unacknowledged goes back to the queue ahead of it).
    await subscription.cancel()
    batches.clear()
    await bus.consume_batches(queue, handle, max_batch=64)
    await bus.publish(progress("exec-marker"))
    await wait_until(lambda: bool(batches))
    assert [name for batch in batches for name in batch] == ["exec-marker"]
