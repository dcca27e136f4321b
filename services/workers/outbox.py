"""What a worker reports (run events, heartbeats, last log lines): in order, held while the bus is away.

Everything goes through one flusher task that publishes what is pending as one batch (in order, on one
channel: the broker keeps that order) and waits for the confirms together: the events of concurrent runs,
or a run's `JobStarted` and its outcome, cost one round trip to the broker, not one each. Nothing a run
reports is waited for one by one (`send`, `send_paced`): its start, progress, last log lines and outcome go
out in order while the worker takes its next run; only a backed-up outbox (a full batch pending) makes the
run wait, so a worker cannot run ahead of the broker.

A run never fails because the broker is gone: its events wait here, in order, and are published once the
broker is back, each with its own `message_id` (a publish whose confirm was lost and is sent again is
stored once by the projector). The buffer is bounded: when full, the oldest `Progress` goes first, then the
oldest heartbeat; a run's start and outcome are never dropped. Only the latest heartbeat is kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from itertools import islice

from contracts.envelope import Message
from contracts.events import Progress
from contracts.events import WorkerHeartbeat
from infrastructure.bus.port import Bus
from infrastructure.bus.port import BusUnavailable

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = 10_000
MAX_BATCH = 256  # events published (and confirmed) together at most
RETRY_DELAYS_S = (0.2, 0.5, 1.0, 1.0)  # then every second until the broker answers


class Outbox:
    """Publishes a worker's events in order, holding them (bounded) while the bus is away."""

    def __init__(self, bus: Bus, *, limit: int = DEFAULT_LIMIT) -> None:
        self._bus = bus
        self._limit = max(1, limit)
        self._pending: deque[Message] = deque()
        self._flusher: asyncio.Task[None] | None = None
        # Callers of `publish` waiting for their event to be confirmed (or held: the bus is away).
        self._waiters: list[tuple[Message, asyncio.Future[None]]] = []
        self.dropped_progress = 0

    @property
    def pending(self) -> int:
        """Events not confirmed yet (being published, or held while the bus is away)."""
        return len(self._pending)

    async def publish(self, event: Message) -> None:
        """Publish with whatever else is pending.

        Returns once confirmed, or held because the bus is away (never raises `BusUnavailable`).
        """
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append((event, waiter))
        self.send(event)
        await waiter

    def send(self, event: Message) -> None:
        """Queue `event` to be published after everything queued before it, without waiting."""
        self._hold(event)

    async def send_paced(self, event: Message) -> None:
        """Queue `event` like `send`; wait as `publish` does only while a full batch is pending already.

        For what a run reports (its progress, its outcome): none needs a confirm of its own, but a worker
        reporting faster than the broker confirms is held back, not let fill the outbox.
        """
        if len(self._pending) < MAX_BATCH:
            self.send(event)
            await asyncio.sleep(0)  # the flusher and a cancel or heartbeat run, as while awaiting a confirm
            return
        await self.publish(event)

    def _hold(self, event: Message) -> None:
        if isinstance(event, WorkerHeartbeat):
            for stale in [held for held in self._pending if isinstance(held, WorkerHeartbeat)]:
                self._pending.remove(stale)
        self._pending.append(event)
        while len(self._pending) > self._limit and self._drop_oldest():
            pass
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="worker-outbox")

    def _drop_oldest(self) -> bool:
        for kind in (Progress, WorkerHeartbeat):
            victim = next((held for held in self._pending if isinstance(held, kind)), None)
            if victim is not None:
                self._pending.remove(victim)
                if kind is Progress:
                    self.dropped_progress += 1
                    if self.dropped_progress == 1:
                        logger.warning("outbox full (%d): dropping the oldest progress events", self._limit)
                return True
        return False  # only starts and outcomes: kept, over the limit (bounded by the runs themselves)

    async def _flush(self) -> None:
        attempt = 0
        while self._pending:
            batch = list(islice(self._pending, MAX_BATCH))
            try:
                await self._bus.publish_many(batch)
            except BaseException as error:
                self._release(everyone=True)  # held (the bus is away) or not publishable: runs go on
                if not isinstance(error, BusUnavailable):
                    raise
                logger.debug("held %d event(s): %s", len(self._pending), error)
                await asyncio.sleep(RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S) - 1)])
                attempt += 1
                continue
            attempt = 0
            for event in batch:
                self._forget(event)
            self._release(everyone=False)
        if self.dropped_progress:
            logger.info("outbox flushed (%d progress events dropped while full)", self.dropped_progress)
            self.dropped_progress = 0

    def _release(self, *, everyone: bool) -> None:
        """Let the callers of `publish` go on.

        Every one (their events are held), or those whose events are not pending any more (confirmed, or
        dropped while the outbox was full).
        """
        if everyone:
            waiters, self._waiters = self._waiters, []
        else:
            pending = {id(event) for event in self._pending}
            waiters = [(event, waiter) for event, waiter in self._waiters if id(event) not in pending]
            self._waiters = [(event, waiter) for event, waiter in self._waiters if id(event) in pending]
        for _, waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _forget(self, event: Message) -> None:
        """Remove a published event (by identity: it may have been dropped meanwhile)."""
        if self._pending and self._pending[0] is event:
            self._pending.popleft()
            return
        for index, held in enumerate(self._pending):
            if held is event:
                del self._pending[index]
                return

    async def drain(self, within_s: float) -> bool:
        """Wait up to `within_s` seconds for what is held to be published; True when nothing is left."""
        flusher = self._flusher
        if flusher is not None and not flusher.done():
            await asyncio.wait({flusher}, timeout=within_s)
        return not self._pending

    async def close(self) -> None:
        """Stop publishing; events still waiting are dropped, and their number logged."""
        if self._flusher is not None:
            self._flusher.cancel()
            await asyncio.gather(self._flusher, return_exceptions=True)
        self._release(everyone=True)
        if self._pending:
            logger.warning("%d worker event(s) not published before the stop", len(self._pending))
