"""Bus test doubles for the API: one that records what is published, one whose broker is down."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime

from contracts.envelope import Command
from contracts.envelope import Message
from contracts.topology import QueueSpec
from infrastructure.bus.port import BatchHandler
from infrastructure.bus.port import Batching
from infrastructure.bus.port import Bus
from infrastructure.bus.port import BusUnavailable
from infrastructure.bus.port import DeadLetter
from infrastructure.bus.port import Handler
from infrastructure.bus.port import Subscription


@dataclass
class _FakeSubscription:
    bus: RecordingBus
    queue: QueueSpec
    handler: Handler
    cancelled: bool = False

    async def pause(self) -> None:
        pass

    async def resume(self) -> None:
        pass

    async def cancel(self) -> None:
        self.cancelled = True
        if self in self.bus.subscriptions:
            self.bus.subscriptions.remove(self)


@dataclass
class RecordingBus(Bus):
    """Confirms every publish and keeps the messages; `deliver` hands an event to the consumers."""

    connected: bool = True
    unreachable_since: datetime | None = None
    published: list[Message] = field(default_factory=list)
    subscriptions: list[_FakeSubscription] = field(default_factory=list)

    @property
    def commands(self) -> list[Command]:
        return [message for message in self.published if isinstance(message, Command)]

    async def start(self) -> None:
        self.connected = True

    async def close(self) -> None:
        self.connected = False

    async def publish(self, message: Message) -> None:
        self.published.append(message)

    async def publish_many(self, messages: Sequence[Message]) -> None:
        self.published.extend(messages)

    async def publish_raw(self, exchange: str, routing_key: str, body: bytes) -> None:
        raise NotImplementedError

    async def declare(self, queue: QueueSpec) -> None:
        pass

    async def consume(
        self, queue: QueueSpec, handler: Handler, *, prefetch: int = 64, concurrency: int = 1
    ) -> Subscription:
        if not self.connected:
            raise BusUnavailable("not connected (test double)")
        subscription = _FakeSubscription(self, queue, handler)
        self.subscriptions.append(subscription)
        return subscription

    async def consume_batched(
        self, queue: QueueSpec, handler: BatchHandler, batching: Batching
    ) -> Subscription:
        raise NotImplementedError("no API or worker test consumes batches from this double")

    async def take_dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        return []

    async def deliver(self, message: Message) -> None:
        """As if `message` arrived on every subscribed queue."""
        for subscription in list(self.subscriptions):
            await subscription.handler(message)


@dataclass
class DownBus(Bus):
    """A bus whose broker is unreachable: every operation raises `BusUnavailable`."""

    connected: bool = False
    # A plain default (a datetime is immutable): it stands in for `Bus.unreachable_since`, a property.
    unreachable_since: datetime | None = datetime(2026, 1, 5, 1, 2, 3, tzinfo=UTC)

    async def start(self) -> None:
        raise BusUnavailable("broker unreachable (test double)")

    async def close(self) -> None:
        pass

    async def publish(self, message: Message) -> None:
        raise BusUnavailable("broker unreachable (test double)")

    async def publish_many(self, messages: Sequence[Message]) -> None:
        raise BusUnavailable("broker unreachable (test double)")

    async def publish_raw(self, exchange: str, routing_key: str, body: bytes) -> None:
        raise BusUnavailable("broker unreachable (test double)")

    async def declare(self, queue: QueueSpec) -> None:
        raise BusUnavailable("broker unreachable (test double)")

    async def consume(
        self, queue: QueueSpec, handler: Handler, *, prefetch: int = 64, concurrency: int = 1
    ) -> Subscription:
        raise BusUnavailable("broker unreachable (test double)")

    async def consume_batched(
        self, queue: QueueSpec, handler: BatchHandler, batching: Batching
    ) -> Subscription:
        raise BusUnavailable("broker unreachable (test double)")

    async def take_dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        raise BusUnavailable("broker unreachable (test double)")
