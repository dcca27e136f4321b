"""The live event stream: one exclusive bus subscription per API process, fanned out to SSE clients.

The bus handler never waits on a client: each client has a bounded queue, and a client that falls too
far behind is disconnected (its browser reconnects and reloads what it missed through `GET /events`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

from contracts.envelope import Message
from contracts.topology import API_STREAM, EVENTS_EXCHANGE
from infrastructure.bus.port import Bus, BusUnavailable, Subscription
from services.api.metrics import ApiMetrics

logger = logging.getLogger(__name__)

RETRY_DELAYS_S = (0.5, 1.0, 2.0, 5.0, 10.0)


@dataclass(frozen=True)
class StreamFilter:
    job_id: str | None = None
    execution_id: str | None = None
    types: frozenset[str] = frozenset()

    def matches(self, message: Message) -> bool:
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
        while (message := await self._queue.get()) is not None:
            yield message


class EventStreamHub:
    def __init__(self, bus: Bus, metrics: ApiMetrics, *, client_buffer: int) -> None:
        self._bus = bus
        self._metrics = metrics
        self._client_buffer = client_buffer
        self._clients: set[StreamClient] = set()
        self._subscription: Subscription | None = None
        self._subscribing: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._subscription is not None

    @property
    def client_count(self) -> int:
        return len(self._clients)

    async def start(self) -> None:
        """Subscribe now if the bus can; otherwise keep trying in the background (the API still serves)."""
        try:
            await self._subscribe()
        except BusUnavailable as error:
            logger.warning("live stream not available yet (%s); retrying in the background", error)
            self._subscribing = asyncio.create_task(self._subscribe_until_done(), name="stream subscribe")

    async def _subscribe(self) -> None:
        self._subscription = await self._bus.consume(API_STREAM, self._on_event, prefetch=256)
        logger.info("live stream subscribed to %s", EVENTS_EXCHANGE)

    async def _subscribe_until_done(self) -> None:
        for attempt in itertools.count():
            await asyncio.sleep(RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S) - 1)])
            try:
                await self._subscribe()
                return
            except BusUnavailable as error:
                logger.debug("live stream subscribe failed again: %s", error)

    async def stop(self) -> None:
        """Unsubscribe and end every client's stream (call before the bus is closed)."""
        if self._subscribing is not None:
            self._subscribing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._subscribing
            self._subscribing = None
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            try:
                await subscription.cancel()
            except BusUnavailable:
                logger.info("live stream subscription already gone", exc_info=True)
        self.close_clients()

    def close_clients(self) -> None:
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
        client = StreamClient(stream_filter, self._client_buffer)
        self._clients.add(client)
        self._metrics.stream_clients.inc()
        try:
            yield client
        finally:
            self._clients.discard(client)
            self._metrics.stream_clients.dec()
