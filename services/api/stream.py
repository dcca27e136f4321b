"""The live event stream: one exclusive bus subscription per API process, fanned out to SSE clients.

The subscription exists only while clients are connected: the first client's request subscribes (its
exclusive queue is declared and bound then), and `LINGER_S` after the last client left it is cancelled,
which deletes the queue. An API process nobody watches receives no events at all (issue 18: every event
delivered to an API that nobody watched cost a decode and an acknowledgement).

The bus handler never waits on a client: each client has a bounded queue, and a client that falls too
far behind is disconnected (its browser reconnects and reloads what it missed through `GET /events`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from collections.abc import Iterator
from dataclasses import dataclass

from contracts.envelope import Message
from contracts.topology import API_STREAM
from contracts.topology import EVENTS_EXCHANGE
from infrastructure.bus.port import Bus
from infrastructure.bus.port import BusUnavailable
from infrastructure.bus.port import Subscription
from services.api.metrics import ApiMetrics

logger = logging.getLogger(__name__)

# How long the subscription outlives its last client: a page reload reconnects within it at no cost.
LINGER_S = 30.0


@dataclass(frozen=True)
class StreamFilter:
    """What a live stream client asked for: one job, one execution, some event types (empty: all)."""

    job_id: str | None = None
    execution_id: str | None = None
    types: frozenset[str] = frozenset()

    def matches(self, message: Message) -> bool:
        """Whether the message passes the filter."""
        if self.types and message.type not in self.types:
            return False
        if self.job_id is not None and getattr(message, "job_id", None) != self.job_id:
            return False
        return self.execution_id is None or getattr(message, "execution_id", None) == self.execution_id


class StreamClient:
    """What one SSE connection reads: matching messages, then None when the stream ends for it."""

    def __init__(self, stream_filter: StreamFilter, buffer: int) -> None:
        self.filter = stream_filter
        self.overflowed = False
        self._queue: asyncio.Queue[Message | None] = asyncio.Queue(maxsize=buffer)

    def offer(self, message: Message) -> bool:
        """Queue a message if it matches; False when the client overflowed (and must be dropped)."""
        if self.overflowed or not self.filter.matches(message):
            return True
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True
            self.end()
            return False
        return True

    def end(self) -> None:
        """Make the reader stop after at most what it already has (drops the rest when full)."""
        while True:
            try:
                self._queue.put_nowait(None)
                return
            except asyncio.QueueFull:
                self._queue.get_nowait()

    async def messages(self) -> AsyncIterator[Message]:
        """The messages for this client, as they come, until the stream ends."""
        while (message := await self._queue.get()) is not None:
            yield message


class EventStreamHub:
    """Fans the bus's events out to the live stream clients of this API process."""

    def __init__(
        self, bus: Bus, metrics: ApiMetrics, *, client_buffer: int, linger_s: float = LINGER_S
    ) -> None:
        self._bus = bus
        self._metrics = metrics
        self._client_buffer = client_buffer
        self._linger_s = linger_s
        self._clients: set[StreamClient] = set()
        self._subscription: Subscription | None = None
        self._subscribing = asyncio.Lock()
        self._lingering: asyncio.Task[None] | None = None
        self._open = False

    @property
    def running(self) -> bool:
        """Subscribed to the events now (only while clients are connected, or just after)."""
        return self._subscription is not None

    @property
    def open(self) -> bool:
        """Started and not stopped: clients may connect (`subscribe_for_client` first)."""
        return self._open

    @property
    def client_count(self) -> int:
        """How many live stream clients are connected."""
        return len(self._clients)

    async def start(self) -> None:
        """Open for clients; nothing is subscribed before the first one comes."""
        self._open = True

    async def subscribe_for_client(self) -> None:
        """Make sure the subscription exists before a client connects.

        `BusUnavailable` if the bus cannot subscribe now (the client is answered 503 and retries).
        """
        if not self._open:
            raise BusUnavailable("the live stream is stopped")
        self._stop_lingering()
        async with self._subscribing:
            if self._subscription is None:
                self._subscription = await self._bus.consume(API_STREAM, self._on_event, prefetch=256)
                logger.info("live stream subscribed to %s", EVENTS_EXCHANGE)
        if not self._clients:  # until its client connects (a request refused after this never does)
            self._linger()

    def _linger(self) -> None:
        """Cancel the subscription `linger_s` from now unless a client is connected by then."""
        self._stop_lingering()
        self._lingering = asyncio.get_running_loop().create_task(
            self._unsubscribe_after_linger(), name="stream linger"
        )

    def _stop_lingering(self) -> None:
        if self._lingering is not None:
            self._lingering.cancel()
            self._lingering = None

    async def _unsubscribe_after_linger(self) -> None:
        await asyncio.sleep(self._linger_s)
        async with self._subscribing:
            if self._clients:
                return
            subscription, self._subscription = self._subscription, None
            if subscription is not None:
                await self._cancel(subscription)
                logger.info("live stream unsubscribed: no client for %g s", self._linger_s)

    async def _cancel(self, subscription: Subscription) -> None:
        try:
            await subscription.cancel()
        except BusUnavailable:
            logger.info("live stream subscription already gone", exc_info=True)

    async def stop(self) -> None:
        """Unsubscribe and end every client's stream (call before the bus is closed)."""
        self._open = False
        lingering, self._lingering = self._lingering, None
        if lingering is not None:
            lingering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await lingering
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            await self._cancel(subscription)
        self.close_clients()

    def close_clients(self) -> None:
        """End every client's stream (a shutdown)."""
        for client in self._clients:
            client.end()

    async def _on_event(self, message: Message) -> None:
        self._metrics.stream_events.inc()
        dropped = sum(1 for client in self._clients if not client.offer(message))
        if dropped:
            self._metrics.stream_clients_dropped.inc(dropped)
            logger.warning(
                "%d live-stream client(s) fell %d events behind: disconnected", dropped, self._client_buffer
            )

    @contextlib.contextmanager
    def connect(self, stream_filter: StreamFilter) -> Iterator[StreamClient]:
        """A client of the stream for the `with` block, with its filter."""
        client = StreamClient(stream_filter, self._client_buffer)
        self._clients.add(client)
        self._metrics.stream_clients.inc()
        self._stop_lingering()
        try:
            yield client
        finally:
            self._clients.discard(client)
            self._metrics.stream_clients.dec()
            if not self._clients and self._open and self._subscription is not None:
                self._linger()
