"""The bus inside one process (embedded mode): exchanges, topic bindings and queues kept in memory.

It behaves like the RabbitMQ adapter where the services can tell: messages travel as encoded bytes (no
shared mutable objects, undecodable bodies are dead-lettered), queues declared at start keep messages
until someone consumes them, consumers on one queue compete round-robin with a prefetch limit, and a
paused subscription puts what it had received but not handled back at the front of its queue. Nothing is
persisted: what is queued is gone when the process ends.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from typing import cast

from contracts.codec import encode
from contracts.envelope import Message
from contracts.topology import COMMANDS_EXCHANGE
from contracts.topology import DEAD_LETTER_EXCHANGE
from contracts.topology import EVENTS_EXCHANGE
from contracts.topology import LOGS_EXCHANGE
from contracts.topology import RUNS_EXCHANGE
from contracts.topology import STANDING_QUEUES
from contracts.topology import QueueSpec
from contracts.topology import exchange_for
from contracts.topology import routing_key
from infrastructure.bus.delivery import NotHandled
from infrastructure.bus.delivery import handle_batch
from infrastructure.bus.delivery import handle_delivery
from infrastructure.bus.delivery import next_batch
from infrastructure.bus.port import BatchHandler
from infrastructure.bus.port import Batching
from infrastructure.bus.port import Bus
from infrastructure.bus.port import BusUnavailable
from infrastructure.bus.port import DeadLetter
from infrastructure.bus.port import Handler
from infrastructure.bus.port import Subscription

logger = logging.getLogger(__name__)

ROUTABLE_EXCHANGES = frozenset({COMMANDS_EXCHANGE, RUNS_EXCHANGE, EVENTS_EXCHANGE, LOGS_EXCHANGE})
CLOSE_GRACE_SECONDS = 5.0


def topic_matches(binding_key: str, key: str) -> bool:
    """AMQP topic matching: words separated by dots, `*` is exactly one word, `#` zero or more."""
    return _match_words(tuple(binding_key.split(".")), tuple(key.split(".")))


def _match_words(pattern: tuple[str, ...], words: tuple[str, ...]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_match_words(rest, words[skip:]) for skip in range(len(words) + 1))
    if not words:
        return False
    return head in ("*", words[0]) and _match_words(rest, words[1:])


class _MemoryQueue:
    """Pending bodies plus the consumers attached; hands bodies out round-robin within prefetch.

    With `single_active` only the longest-attached consumer receives (RabbitMQ's single active consumer:
    the others stand by and take over when it goes away).
    """

    def __init__(self, name: str, *, single_active: bool = False) -> None:
        self.name = name
        self.single_active = single_active
        self.pending: deque[bytes] = deque()
        self.consumers: list[_MemorySubscription] = []
        self._next_consumer = 0

    def put(self, body: bytes) -> None:
        self.pending.append(body)
        self.pump()

    def put_back(self, bodies: Sequence[bytes]) -> None:
        """Return unhandled bodies to the front, in their original order (as a broker requeue does)."""
        self.pending.extendleft(reversed(bodies))
        self.pump()

    def pump(self) -> None:
        while self.pending:
            consumer = self._next_ready_consumer()
            if consumer is None:
                return
            consumer.deliver(self.pending.popleft())

    def _next_ready_consumer(self) -> _MemorySubscription | None:
        if self.single_active:
            active = self.consumers[0] if self.consumers else None
            return active if active is not None and active.has_capacity() else None
        count = len(self.consumers)
        for offset in range(count):
            index = (self._next_consumer + offset) % count
            if self.consumers[index].has_capacity():
                self._next_consumer = (index + 1) % count
                return self.consumers[index]
        return None


class _MemorySubscription:
    """One consumer: a worker task handling its deliveries one at a time, in order."""

    def __init__(
        self,
        bus: InMemoryBus,
        queue: _MemoryQueue,
        handler: Handler | BatchHandler,
        prefetch: int,
        concurrency: int = 1,
        *,
        batching: Batching | None = None,
    ) -> None:
        self._bus = bus
        self._queue = queue
        self._handler = handler
        # Without `batching`, one message at a time to a `Handler` (`_max_batch` 0); else a `BatchHandler`.
        self._max_batch = max(1, batching.max_batch) if batching else 0
        self._gather_s = batching.gather_s if batching else 0.0
        self._prefetch = max(1, prefetch)
        self._inbox: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._unacked = 0  # delivered and not yet handled, like a broker's unacknowledged count
        self._paused = False
        self._cancelled = False
        self._workers = [
            asyncio.create_task(self._run(), name=f"consume {queue.name} #{number}")
            for number in range(max(1, concurrency))
        ]
        queue.consumers.append(self)
        queue.pump()

    def has_capacity(self) -> bool:
        return not self._paused and not self._cancelled and self._unacked < self._prefetch

    def deliver(self, body: bytes) -> None:
        self._unacked += 1
        self._inbox.put_nowait(body)

    async def _run(self) -> None:
        ending = False
        while not ending:
            bodies, ending = await next_batch(self._inbox, self._max_batch, self._gather_s)
            if bodies:
                await self._handle(bodies)

    async def _handle(self, bodies: list[bytes]) -> None:
        try:
            reasons = await self._reasons(bodies)
        except NotHandled as error:  # as a broker's requeue: back to the front, tried again
            logger.warning("delivery from %s given back: %s", self._queue.name, error)
            self._unacked -= len(bodies)
            self._queue.put_back(bodies)
            return
        except Exception as error:  # never lets one delivery end this consumer's task
            logger.exception("consumer of %s failed on a delivery; dead-lettering it", self._queue.name)
            reasons = [f"consumer failed: {type(error).__name__}: {str(error)[:200]}"] * len(bodies)
        for body, reason in zip(bodies, reasons, strict=True):
            if reason is not None:
                self._bus.add_dead_letter(DeadLetter(body, reason, self._queue.name))
        self._unacked -= len(bodies)
        self._queue.pump()

    async def _reasons(self, bodies: list[bytes]) -> list[str | None]:
        if self._max_batch:
            return await handle_batch(bodies, cast(BatchHandler, self._handler), queue=self._queue.name)
        return [await handle_delivery(bodies[0], cast(Handler, self._handler), queue=self._queue.name)]

    def _return_unhandled(self) -> None:
        bodies: list[bytes] = []
        while not self._inbox.empty():
            body = self._inbox.get_nowait()
            if body is not None:
                bodies.append(body)
        self._unacked -= len(bodies)
        self._queue.put_back(bodies)

    async def pause(self) -> None:
        if self._paused or self._cancelled:
            return
        self._paused = True
        self._queue.consumers.remove(self)
        self._return_unhandled()

    async def resume(self) -> None:
        if not self._paused or self._cancelled:
            return
        self._paused = False
        self._queue.consumers.append(self)
        self._queue.pump()

    async def cancel(self) -> None:
        """Stop consuming; waits for a handler in progress unless called from that handler."""
        if self._cancelled:
            return
        if not self._paused:
            self._queue.consumers.remove(self)
        self._paused = True
        self._cancelled = True
        self._return_unhandled()
        for _ in self._workers:
            self._inbox.put_nowait(None)
        self._bus.forget(self, self._queue)
        current = asyncio.current_task()
        await asyncio.gather(*(worker for worker in self._workers if worker is not current))


class InMemoryBus(Bus):
    """Bus adapter for one process; see the module docstring for what it mimics of RabbitMQ."""

    def __init__(self) -> None:
        self._started = False
        self._queues: dict[str, _MemoryQueue] = {}
        self._bindings: dict[str, list[tuple[str, _MemoryQueue]]] = {}
        self._exclusive_queues: set[str] = set()
        self._subscriptions: list[_MemorySubscription] = []
        self._dead_letters: deque[DeadLetter] = deque()
        # The queues each (exchange, routing key) reaches; emptied whenever a binding changes.
        self._routes: dict[tuple[str, str], tuple[_MemoryQueue, ...]] = {}

    @property
    def connected(self) -> bool:
        """True between `start` and `close`."""
        return self._started

    @property
    def unreachable_since(self) -> datetime | None:
        """When the broker became unreachable (the current outage), None while it answers."""
        return None  # in-process: never away

    async def start(self) -> None:
        """Connect and declare the topology (exchanges, durable queues, the dead-letter queue)."""
        self._started = True
        for spec in STANDING_QUEUES:
            self._declare(spec, spec.name)

    async def close(self) -> None:
        """Stop every consumer (each given a few seconds to finish its handler) and refuse new work."""
        self._started = False
        subscriptions, self._subscriptions = self._subscriptions, []
        for subscription in subscriptions:
            try:
                await asyncio.wait_for(subscription.cancel(), CLOSE_GRACE_SECONDS)
            except TimeoutError:
                logger.warning("a handler did not finish within %s s of close", CLOSE_GRACE_SECONDS)

    async def publish(self, message: Message) -> None:
        """Route the message to every queue bound to its exchange and routing key, as RabbitMQ would."""
        self._require_started()
        self._route(exchange_for(message), routing_key(message), encode(message))

    async def publish_many(self, messages: Sequence[Message]) -> None:
        """Publish several messages, confirmed concurrently; returns when all are confirmed."""
        self._require_started()
        for message in messages:
            self._route(exchange_for(message), routing_key(message), encode(message))

    async def publish_raw(self, exchange: str, routing_key: str, body: bytes) -> None:
        """Publish bytes as they are, unchecked (tools and tests: a malformed message, say)."""
        self._require_started()
        if exchange == DEAD_LETTER_EXCHANGE:
            self.add_dead_letter(DeadLetter(bytes(body), "unknown", ""))
            return
        self._route(exchange, routing_key, bytes(body))

    async def declare(self, queue: QueueSpec) -> None:
        """Make sure a queue exists with its bindings, so what is routed to it waits for a consumer."""
        self._require_started()
        self._declare(queue, queue.name)

    async def consume(
        self, queue: QueueSpec, handler: Handler, *, prefetch: int = 64, concurrency: int = 1
    ) -> Subscription:
        """Deliver the queue's messages to `handler`, up to `concurrency` at once.

        An exclusive queue gets a queue of its own per consumer (fan-out), as on RabbitMQ; a failed
        handler's message goes to the dead letters.
        """
        self._require_started()
        if queue.exclusive:
            # Per-process fan-out: each consumer gets its own queue, like a RabbitMQ exclusive queue.
            name = f"{queue.name}.{uuid.uuid4().hex[:12]}"
            self._exclusive_queues.add(name)
        else:
            name = queue.name
        subscription = _MemorySubscription(
            self, self._declare(queue, name), handler, max(prefetch, concurrency), concurrency
        )
        self._subscriptions.append(subscription)
        return subscription

    async def consume_batched(
        self, queue: QueueSpec, handler: BatchHandler, batching: Batching
    ) -> Subscription:
        """Deliver the queue's messages in order, in batches of up to `max_batch` of what has arrived."""
        self._require_started()
        subscription = _MemorySubscription(
            self,
            self._declare(queue, queue.name),
            handler,
            max(batching.prefetch, batching.max_batch),
            batching=batching,
        )
        self._subscriptions.append(subscription)
        return subscription

    async def take_dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """Remove and return up to `limit` messages from the dead-letter queue (oldest first)."""
        taken: list[DeadLetter] = []
        while self._dead_letters and len(taken) < limit:
            taken.append(self._dead_letters.popleft())
        return taken

    def add_dead_letter(self, dead_letter: DeadLetter) -> None:
        """Put a message on the dead-letter queue (what a refused delivery comes to)."""
        self._dead_letters.append(dead_letter)

    def forget(self, subscription: _MemorySubscription, queue: _MemoryQueue) -> None:
        """Drop a cancelled subscription; an exclusive queue dies with its consumer."""
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)
        if queue.name in self._exclusive_queues:
            self._routes.clear()
            self._exclusive_queues.discard(queue.name)
            self._queues.pop(queue.name, None)
            for exchange, bindings in self._bindings.items():
                self._bindings[exchange] = [pair for pair in bindings if pair[1] is not queue]

    def _require_started(self) -> None:
        if not self._started:
            raise BusUnavailable("in-memory bus is not started (or already closed)")

    def _declare(self, spec: QueueSpec, name: str) -> _MemoryQueue:
        self._routes.clear()
        queue = self._queues.get(name)
        if queue is None:
            queue = _MemoryQueue(name, single_active=spec.single_active_consumer)
            self._queues[name] = queue
        bindings = self._bindings.setdefault(spec.exchange, [])
        for key in spec.binding_keys:
            if not any(bound_key == key and bound is queue for bound_key, bound in bindings):
                bindings.append((key, queue))
        retired = set(spec.retired_keys)
        if retired:
            bindings[:] = [
                (key, bound) for key, bound in bindings if bound is not queue or key not in retired
            ]
        return queue

    def _route(self, exchange: str, key: str, body: bytes) -> None:
        targets = self._routes.get((exchange, key))
        if targets is None:
            targets = self._routes[(exchange, key)] = self._targets(exchange, key)
        for queue in targets:
            queue.put(body)

    def _targets(self, exchange: str, key: str) -> tuple[_MemoryQueue, ...]:
        if exchange not in ROUTABLE_EXCHANGES:
            raise ValueError(f"unknown exchange {exchange!r}")
        targets: dict[str, _MemoryQueue] = {}
        for binding_key, queue in self._bindings.get(exchange, []):
            if topic_matches(binding_key, key):
                targets[queue.name] = queue
        return tuple(targets.values())
