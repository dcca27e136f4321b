"""Ships the runs' log lines to the bus in batches (`RunLogBatch`), never one message per line.

Every `flush_interval_s` each run's pending lines go out, up to `batch_lines` per message: what a run
logged is on the broker (durable) within a fraction of a second, so a worker killed outright loses at most
the last moment's lines. While the broker is away lines wait in their run's buffer (bounded by the run's
own limits) and go out once it is back. A run's last lines are handed over when it ends (`last_batches`): the
worker's outbox publishes them just before the run's outcome, confirmed with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator

from contracts.run_log_settings import RunLogSettings
from contracts.run_logs import RunLogBatch
from infrastructure.background import BackgroundLoop
from infrastructure.background import Repeating
from infrastructure.background import every
from infrastructure.bus.port import Bus
from infrastructure.bus.port import BusUnavailable
from services.workers.run_log_buffer import RunLogBuffer

logger = logging.getLogger(__name__)

MAX_BATCH_TEXT = 1024 * 1024  # of text per message: well within what the bus accepts


class RunLogShipper:
    """Ships the runs' log lines to the bus in batches, every `flush_interval_s`."""

    def __init__(self, bus: Bus, *, producer: str, settings: RunLogSettings) -> None:
        self._bus = bus
        self._producer = producer
        self._settings = settings
        self._buffers: dict[tuple[str, int], RunLogBuffer] = {}
        interval = every(lambda: self._settings.flush_interval_s)
        rounds = Repeating(
            self.ship_once, interval, "run log lines not shipped", pause_first=True, logger=logger
        )
        self._loop = BackgroundLoop("run-log-shipper", rounds)
        self._sending = asyncio.Lock()
        self.batches_sent = 0

    def start(self) -> None:
        """Start shipping periodically (idempotent)."""
        # Started outside any run's context: its own lines are never a run's.
        self._loop.start()

    def track(self, buffer: RunLogBuffer) -> None:
        """Ship this attempt's buffer from now on."""
        self._buffers[(buffer.execution_id, buffer.attempt)] = buffer

    async def last_batches(self, buffer: RunLogBuffer) -> list[RunLogBatch]:
        """Close the run's log and take what is left of it, as batches for the worker's outbox.

        Taken once every batch of the run the periodic loop is sending is confirmed: the run's lines leave in
        order. The outbox holds them while the broker is away, as it holds the run's outcome.
        """
        buffer.close()
        async with self._sending:
            return list(self._batches(buffer))

    async def stop(self, within_s: float) -> None:
        """Send what is still held (up to `within_s`), then stop."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within_s):
                while any(buffer.pending for buffer in self._buffers.values()):
                    if not await self.ship_once():
                        await asyncio.sleep(self._settings.flush_interval_s)
        await self._loop.stop()
        left = sum(buffer.pending for buffer in self._buffers.values())
        if left:
            logger.warning("%d run log line(s) not sent before the stop", left)

    async def ship_once(self) -> bool:
        """Send every run's pending lines; False if the broker refused some (they are kept)."""
        delivered = True
        for key, buffer in list(self._buffers.items()):
            delivered = await self._send(buffer) and delivered
            if buffer.closed and not buffer.pending:
                self._buffers.pop(key, None)
        return delivered

    async def _send(self, buffer: RunLogBuffer) -> bool:
        async with self._sending:  # one sender at a time: a run's batches leave in order
            for batch in self._batches(buffer):
                try:
                    await self._bus.publish(batch)
                except BusUnavailable:
                    buffer.give_back(list(batch.lines))
                    return False
                self.batches_sent += 1
        return True

    def _batches(self, buffer: RunLogBuffer) -> Iterator[RunLogBatch]:
        """The buffer's pending lines as batches, each taken when the one before it has gone out."""
        while lines := buffer.take(self._settings.batch_lines, MAX_BATCH_TEXT):
            yield RunLogBatch(
                producer=self._producer,
                job_id=buffer.job_id,
                execution_id=buffer.execution_id,
                attempt=buffer.attempt,
                lines=tuple(lines),
            )
