"""The bus on RabbitMQ (aio-pika): persistent messages, publisher confirms, explicit acknowledgement.

One robust connection per process, to one node of the broker URLs given (a cluster: the first that
answers). It reconnects by itself, to the next node of the list (`rabbitmq_nodes`); channels, exchanges,
queues, bindings and consumers declared through it are restored by aio-pika on whichever node it reached.
Publishing uses one confirm channel; each subscription has its own channel (see `rabbitmq_subscription`).
While the connection is down `publish` raises `BusUnavailable` at once rather than waiting: callers answer
503 or retry.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from datetime import datetime

import aiormq
from aio_pika.abc import AbstractChannel
from aio_pika.abc import AbstractExchange
from aio_pika.abc import AbstractIncomingMessage
from aio_pika.abc import AbstractQueue
from aio_pika.abc import AbstractRobustConnection
from aio_pika.abc import HeadersType
from aio_pika.exceptions import AMQPConnectionError
from aio_pika.exceptions import AMQPError
from aio_pika.exceptions import ChannelInvalidStateError
from aio_pika.exceptions import DeliveryError

from contracts.broker_access import Access
from contracts.codec import encode
from contracts.envelope import Message
from contracts.topology import DEAD_LETTER_EXCHANGE
from contracts.topology import ORIGINAL_QUEUE_HEADER
from contracts.topology import REJECTION_REASON_HEADER
from contracts.topology import QueueSpec
from contracts.topology import exchange_for
from contracts.topology import routing_key
from infrastructure.bus.broker_urls import parse_broker_urls
from infrastructure.bus.outage import OutageWatch
from infrastructure.bus.port import BatchHandler
from infrastructure.bus.port import Batching
from infrastructure.bus.port import Bus
from infrastructure.bus.port import BusUnavailable
from infrastructure.bus.port import DeadLetter
from infrastructure.bus.port import Handler
from infrastructure.bus.rabbitmq_nodes import connect_robust_to_any
from infrastructure.bus.rabbitmq_subscription import BROKER_ERRORS
from infrastructure.bus.rabbitmq_subscription import RabbitMQSubscription
from infrastructure.bus.rabbitmq_topology import dead_letter_from
from infrastructure.bus.rabbitmq_topology import declare_queue
from infrastructure.bus.rabbitmq_topology import declare_topology
from infrastructure.bus.rabbitmq_topology import outgoing

logger = logging.getLogger(__name__)

UNREACHABLE_ERRORS = (AMQPConnectionError, ChannelInvalidStateError, ConnectionError, OSError)
RENEW_INTERVAL_S = 1.0  # at most one new publishing channel a second (see `_renew_publisher`)


class RabbitMQBus(Bus):
    """Bus adapter for the distributed mode (RabbitMQ).

    `url` may name a virtual host (tests use their own), and may be several URLs (one per node of a cluster: a
    sequence, or one string, comma-separated).

    `access`: the broker permissions of the service this bus serves (`contracts.broker_access`), when it
    connects as that service's own user; without it the bus declares the whole topology. `quorum`: durable
    queues are quorum queues (the default); False keeps them classic (a deployment not migrated yet).
    """

    def __init__(
        self,
        url: str | Sequence[str],
        *,
        connection_name: str,
        publish_timeout: float = 5.0,
        connect_timeout: float = 10.0,
        reconnect_interval: float = 0.5,
        close_grace: float = 5.0,
        access: Access | None = None,
        quorum: bool = True,
    ) -> None:
        self._urls = parse_broker_urls(url) if isinstance(url, str) else tuple(url)
        self._access = access  # a service's own broker user: only what that service uses is declared
        self._quorum = quorum  # durable queues as quorum queues (False: classic, not migrated yet)
        self._connection_name = connection_name
        self._publish_timeout = publish_timeout
        self._connect_timeout = connect_timeout
        self._reconnect_interval = reconnect_interval
        self._close_grace = close_grace
        self._connection: AbstractRobustConnection | None = None
        self._channel: AbstractChannel | None = None
        self._exchanges: dict[str, AbstractExchange] = {}
        self._dead_letter_queue: AbstractQueue | None = None
        self._subscriptions: list[RabbitMQSubscription] = []
        self._renewing = asyncio.Lock()
        self._renewed_at = 0.0
        self.outage = OutageWatch(name=connection_name)

    @property
    def unreachable_since(self) -> datetime | None:
        """When the broker became unreachable (the current outage), None while it answers."""
        return self.outage.unreachable_since

    @property
    def connected(self) -> bool:
        """Whether the connection and its publishing channel are open."""
        connection = self._connection
        return (
            connection is not None
            and not connection.is_closed
            and connection.connected.is_set()
            and self._channel is not None
            and not self._channel.is_closed
        )

    async def start(self) -> None:
        """Connect and declare the topology; `BusUnavailable` if the broker cannot be reached."""
        if self._connection is not None:
            return
        try:
            connection = await connect_robust_to_any(
                self._urls,
                connect_timeout=self._connect_timeout,
                client_properties={"connection_name": self._connection_name},
                reconnect_interval=self._reconnect_interval,
            )
        except (*UNREACHABLE_ERRORS, TimeoutError) as error:
            self.outage.lost(error)
            raise BusUnavailable(f"cannot connect to RabbitMQ: {error!r}") from error
        try:
            channel = await connection.channel(publisher_confirms=True)
            topology = await declare_topology(channel, self._access, quorum=self._quorum)
        except BaseException as error:
            await connection.close()
            if isinstance(error, (*UNREACHABLE_ERRORS, TimeoutError)):
                raise BusUnavailable(f"RabbitMQ went away during start: {error!r}") from error
            raise
        self._connection, self._channel = connection, channel
        connection.close_callbacks.add(self._on_connection_lost)
        connection.reconnect_callbacks.add(self._on_reconnected)
        self.outage.back()
        self._exchanges = topology.exchanges
        self._dead_letter_queue = topology.dead_letter_queue
        logger.info("connected to RabbitMQ (%s) as %r", connection, self._connection_name)

    def _on_connection_lost(self, _connection: object, error: BaseException | None = None) -> None:
        if self._connection is not None:  # not our own close
            self.outage.lost(error)

    def _on_reconnected(self, *_: object) -> None:
        self.outage.back()

    async def close(self) -> None:
        """Cancel every subscription (each given a grace period), then close the connection."""
        subscriptions, self._subscriptions = self._subscriptions, []
        for subscription in subscriptions:
            try:
                await asyncio.wait_for(subscription.cancel(), self._close_grace)
            except (TimeoutError, *BROKER_ERRORS):
                logger.warning("subscription to %s not closed cleanly", subscription.queue_name)
        connection, self._connection, self._channel = self._connection, None, None
        self._exchanges = {}
        if connection is not None:
            await connection.close()

    async def publish(self, message: Message) -> None:
        """Publish a message, persistent and confirmed by the broker; BusUnavailable if the broker is away."""
        await self._send(
            exchange_for(message),
            routing_key(message),
            encode(message),
            outgoing(
                message_id=message.message_id,
                message_type=message.type,
                correlation_id=message.correlation_id,
            ),
        )

    async def publish_many(self, messages: Sequence[Message]) -> None:
        """Publish concurrently and wait for every confirm; `BusUnavailable` if any was not confirmed."""
        results = await asyncio.gather(
            *(self.publish(message) for message in messages), return_exceptions=True
        )
        failures = [result for result in results if isinstance(result, BaseException)]
        if failures:
            raise BusUnavailable(
                f"{len(failures)} of {len(messages)} messages not confirmed: {failures[0]}"
            ) from failures[0]

    async def publish_raw(self, exchange: str, routing_key: str, body: bytes) -> None:
        """Publish bytes as they are, unchecked (tools and tests: a malformed message, say)."""
        await self._send(exchange, routing_key, bytes(body), outgoing())

    async def declare(self, queue: QueueSpec) -> None:
        """Make sure a queue exists with its bindings; BusUnavailable if the broker cannot be reached."""
        channel = self._channel
        if channel is None or not self.connected:
            raise BusUnavailable("not connected to RabbitMQ")
        try:
            await declare_queue(channel, queue, quorum=self._quorum)
        except (*UNREACHABLE_ERRORS, TimeoutError) as error:
            raise BusUnavailable(f"could not declare {queue.name}: {error!r}") from error

    async def consume(
        self, queue: QueueSpec, handler: Handler, *, prefetch: int = 64, concurrency: int = 1
    ) -> RabbitMQSubscription:
        """Deliver the queue's messages to `handler`, up to `concurrency` at once, `prefetch` in flight."""
        return await self._subscribe(queue, prefetch, handler=handler, concurrency=concurrency)

    async def consume_batched(
        self, queue: QueueSpec, handler: BatchHandler, batching: Batching
    ) -> RabbitMQSubscription:
        """Deliver the queue's messages in order, in batches of up to `max_batch` of what has arrived."""
        return await self._subscribe(queue, batching.prefetch, batch_handler=handler, batching=batching)

    async def _subscribe(
        self,
        queue: QueueSpec,
        prefetch: int,
        *,
        handler: Handler | None = None,
        concurrency: int = 1,
        batch_handler: BatchHandler | None = None,
        batching: Batching | None = None,
    ) -> RabbitMQSubscription:
        connection = self._require_connection()
        try:
            channel = await connection.channel(publisher_confirms=False)
        except UNREACHABLE_ERRORS as error:
            raise BusUnavailable(f"cannot consume {queue.name}: {error!r}") from error
        try:
            await channel.set_qos(prefetch_count=max(1, prefetch, concurrency))
            amqp_queue = await declare_queue(channel, queue, quorum=self._quorum)
        except BaseException as error:
            await _close_quietly(channel)
            if isinstance(error, UNREACHABLE_ERRORS):
                raise BusUnavailable(f"cannot consume {queue.name}: {error!r}") from error
            raise  # e.g. PRECONDITION_FAILED: the queue exists with other arguments
        subscription = RabbitMQSubscription(
            channel,
            amqp_queue,
            handler or _unused_handler,
            self._dead_letter,
            concurrency=concurrency,
            batch_handler=batch_handler,
            batching=batching,
        )
        try:
            await subscription.start()
        except UNREACHABLE_ERRORS as error:
            raise BusUnavailable(f"cannot consume {queue.name}: {error!r}") from error
        self._subscriptions = [kept for kept in self._subscriptions if not kept.cancelled]
        self._subscriptions.append(subscription)
        return subscription

    async def take_dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """Remove and return up to `limit` messages from the dead-letter queue (oldest first)."""
        self._require_connection()
        queue = self._dead_letter_queue
        assert queue is not None  # set together with the connection
        letters: list[DeadLetter] = []
        try:
            while len(letters) < limit:
                message = await queue.get(no_ack=False, fail=False, timeout=self._publish_timeout)
                if message is None:
                    break
                letters.append(dead_letter_from(message))
                await message.ack()
        except (*BROKER_ERRORS, AMQPError) as error:
            raise BusUnavailable(f"cannot read the dead-letter queue: {error!r}") from error
        return letters

    async def _dead_letter(self, message: AbstractIncomingMessage, reason: str, queue: str) -> None:
        """Carry the reason in a header (a plain reject would only say "rejected")."""
        headers: HeadersType = {
            **(message.headers or {}),
            REJECTION_REASON_HEADER: reason,
            ORIGINAL_QUEUE_HEADER: queue,
        }
        await self._send(
            DEAD_LETTER_EXCHANGE,
            queue,
            message.body,
            outgoing(
                message_id=message.message_id,
                message_type=message.type,
                correlation_id=message.correlation_id,
                headers=headers,
            ),
        )

    async def _send(
        self, exchange_name: str, key: str, body: bytes, properties: aiormq.spec.Basic.Properties
    ) -> None:
        """Publish on the exchange's channel and wait for the broker's confirm.

        Straight to the channel's AMQP layer (what aio-pika's `Exchange.publish` ends in, without building
        its `Message` first); a nack raises `DeliveryError` there as it does through aio-pika.
        """
        self._require_connection()
        channel = self._channel  # the exchanges' channel (declared on it, renewed with it)
        if exchange_name not in self._exchanges:
            raise ValueError(f"unknown exchange {exchange_name!r}")
        try:
            async with asyncio.timeout(self._publish_timeout):
                if channel is None or channel.is_closed:
                    raise ChannelInvalidStateError(f"{channel!r} closed")
                underlay = await channel.get_underlay_channel()
                await underlay.basic_publish(
                    body, exchange=exchange_name, routing_key=key, properties=properties, mandatory=False
                )
        except TimeoutError as error:
            raise BusUnavailable(f"no publisher confirm within {self._publish_timeout} s") from error
        except DeliveryError as error:
            if channel is not None:
                await self._renew_publisher(channel)
            raise BusUnavailable(f"RabbitMQ refused the message: {error!r}") from error
        except (*UNREACHABLE_ERRORS, AMQPError) as error:
            raise BusUnavailable(f"cannot publish to RabbitMQ: {error!r}") from error

    async def _renew_publisher(self, refused_on: AbstractChannel) -> None:
        """A new publishing channel after the broker refused (nacked) a message on `refused_on`.

        A channel that published to a quorum queue while the queue's leader was lost (its node died) may
        go on refusing every message after a new leader took over (seen on RabbitMQ 3.10 with
        `reject-publish` overflow, which at-least-once dead-lettering requires): a new channel starts
        afresh. At most once a second; the refused message itself is answered `BusUnavailable` (the
        caller retries or answers 503).
        """
        async with self._renewing:
            connection = self._connection
            if self._channel is not refused_on or connection is None or not self.connected:
                return  # renewed by a concurrent refusal already, or the connection is going
            if time.monotonic() - self._renewed_at < RENEW_INTERVAL_S:
                return
            self._renewed_at = time.monotonic()
            try:
                channel = await connection.channel(publisher_confirms=True)
                topology = await declare_topology(channel, self._access, quorum=self._quorum)
            except (*UNREACHABLE_ERRORS, TimeoutError, AMQPError) as error:
                logger.warning("publishing channel not renewed after a refusal: %r", error)
                return
            self._channel = channel
            self._exchanges = topology.exchanges
            self._dead_letter_queue = topology.dead_letter_queue
            logger.warning("the broker refused a message: publishing on a new channel from now on")
        await _close_quietly(refused_on)

    def _require_connection(self) -> AbstractRobustConnection:
        if self._connection is None or not self.connected:
            raise BusUnavailable("not connected to RabbitMQ (not started, closed or reconnecting)")
        return self._connection


async def _close_quietly(channel: AbstractChannel) -> None:
    try:
        await channel.close()
    except BROKER_ERRORS:
        logger.debug("channel closed uncleanly", exc_info=True)


async def _unused_handler(message: Message) -> None:
    raise AssertionError("a batch subscription hands messages to its batch handler")
