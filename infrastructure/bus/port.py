"""The bus port: publish messages with confirmation, consume queues with explicit acknowledgement.

Adapters: `memory_bus.InMemoryBus` (embedded mode, one process) and `rabbitmq_bus.RabbitMQBus` (aio-pika).
Both follow the same behaviour, checked by one test suite (`tests/ports/test_bus.py`):

- `publish` returns once the broker has confirmed the message (durable, persistent); it raises
  `BusUnavailable` when it cannot (broker down): callers answer 503 or retry, nothing is half-sent.
- Routing comes from `contracts.topology`: commands to the commands exchange, runs to the runs exchange,
  events to the events exchange with the event type as routing key.
- `consume` delivers decoded messages to the handler one at a time, in order, and acknowledges each after
  the handler returns. A body that does not decode (`MessageRejected`), or a handler that raises
  (`Reject` or any other exception), sends the message to the dead-letter queue with the reason in the
  `x-rejection-reason` header, and the consumer goes on with the next message.
- A subscription can be paused (deliveries not yet handled go back to the queue, no more arrive) and
  resumed: a worker busy with long runs holds no delivery open while it works. `pause` may be called from
  inside the handler; `cancel` waits for a handler in progress unless called from inside it.
- Consumers of one queue compete (each message goes to one of them, round-robin within `prefetch`), except
  on a `single_active_consumer` queue, where one consumer gets everything and the others stand by. Each
  `consume` of an `exclusive` spec gets a queue of its own, named `<spec.name>.<random>`, bound like the
  spec and deleted when the subscription is cancelled or the process goes away (per-process fan-out).
- `publish_raw` accepts only the exchanges of `contracts.topology` (`ValueError` otherwise).
"""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from contracts.envelope import Message
from contracts.topology import QueueSpec

Handler = Callable[[Message], Awaitable[None]]
BatchHandler = Callable[[Sequence[Message]], Awaitable[None]]


class BusUnavailable(RuntimeError):
    """The broker cannot be reached or did not confirm a publish."""


class Reject(Exception):
    """Raised by a handler for a message that must go to the dead-letter queue with `reason`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class DeadLetter:
    """A message the bus refused or a handler failed on: its body, the reason, and its original queue."""

    body: bytes
    reason: str
    original_queue: str


class Subscription(Protocol):
    """A running consumer of one queue: pause, resume or cancel its deliveries."""

    async def pause(self) -> None:
        """Stop taking deliveries (the messages wait in the queue) until `resume`."""

    async def resume(self) -> None:
        """Take deliveries again after `pause`."""

    async def cancel(self) -> None:
        """Stop consuming for good; a handler under way is let finish."""


@dataclass(frozen=True)
class Batching:
    """How `Bus.consume_batches` groups a queue's deliveries: its keyword arguments as one value.

    The port's `consume_batches` gathers them here and hands them to `consume_batched`, the one method
    each adapter implements, so the options and their defaults are declared once.
    """

    max_batch: int
    prefetch: int
    gather_s: float


class Bus(Protocol):
    """The message bus every service publishes to and consumes from (RabbitMQ, or in memory)."""

    @property
    def connected(self) -> bool:
        """Whether the bus can publish now (started, and the broker reachable)."""

    @property
    def unreachable_since(self) -> datetime | None:
        """When the broker became unreachable (the current outage), None while it answers."""

    async def start(self) -> None:
        """Connect and declare the topology (exchanges, durable queues, the dead-letter queue)."""

    async def close(self) -> None:
        """Cancel every subscription, then disconnect."""

    async def publish(self, message: Message) -> None:
        """Publish a message to its kind's exchange, confirmed; BusUnavailable if the broker is away."""

    async def publish_many(self, messages: Sequence[Message]) -> None:
        """Publish several messages, confirmed concurrently; returns when all are confirmed."""

    async def publish_raw(self, exchange: str, routing_key: str, body: bytes) -> None:
        """Publish bytes as they are (tools and tests: e.g. a malformed message)."""

    async def declare(self, queue: QueueSpec) -> None:
        """Make sure a durable queue exists with its bindings.

        So messages routed to it are kept before its first consumer comes.
        """

    async def consume(
        self, queue: QueueSpec, handler: Handler, *, prefetch: int = 64, concurrency: int = 1
    ) -> Subscription:
        """Deliver to `handler`, one delivery or several at once.

        Deliver to `handler`; with `concurrency` > 1, up to that many deliveries are handled at once
        (each acknowledged when its own handler returns; order is then only the order they start in).
        """

    async def consume_batches(
        self,
        queue: QueueSpec,
        handler: BatchHandler,
        *,
        max_batch: int = 256,
        prefetch: int = 512,
        gather_s: float = 0.0,
    ) -> Subscription:
        """Deliver in order, in batches of what has arrived.

        Up to `max_batch` per batch, acknowledged after the handler returns; with `gather_s`, what arrives
        that long after a batch's first message joins it. A handler failing on a batch gets its messages
        again one by one, and only those it still fails on are dead-lettered.
        """
        return await self.consume_batched(queue, handler, Batching(max_batch, prefetch, gather_s))

    async def consume_batched(
        self, queue: QueueSpec, handler: BatchHandler, batching: Batching
    ) -> Subscription:
        """`consume_batches` with its options in one `Batching`: what an adapter implements."""

    async def take_dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """Remove and return up to `limit` messages from the dead-letter queue (oldest first)."""
