"""Ships the runs' log lines to the bus in batches (`RunLogBatch`), never one message per line.

Every `flush_interval_s` each run's pending lines go out, up to `batch_lines` per message: what a run
logged is on the broker (durable) within a fraction of a second, so a worker killed outright loses at most
the last moment's lines. While the broker is away lines wait in their run's buffer (bounded by the run's
own limits) and go out once it is back. A run's last lines are sent when it ends, before its outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging

from contracts.run_log_settings import RunLogSettings
from contracts.run_logs import RunLogBatch
from infrastructure.background import BackgroundLoop, Repeating, every
from infrastructure.bus.port import Bus, BusUnavailable
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

    async def finish(self, buffer: RunLogBuffer, within_s: float = 5.0) -> None:
        """Close the run's log and send what is left.

        Waits up to `within_s` for the broker; later lines are still sent by the periodic loop once it is
        back.
        """
        buffer.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within_s):
                for _ in itertools.count():  # until sent, or the broker is not back in time
                    if await self._send(buffer):
                        return
                    await asyncio.sleep(self._settings.flush_interval_s)

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
            while lines := buffer.take(self._settings.batch_lines, MAX_BATCH_TEXT):
                batch = RunLogBatch(
                    producer=self._producer,
                    job_id=buffer.job_id,
                    execution_id=buffer.execution_id,
                    attempt=buffer.attempt,
                    lines=tuple(lines),
                )
                try:
                    await self._bus.publish(batch)
                except BusUnavailable:
                    buffer.give_back(lines)
                    return False
                self.batches_sent += 1
        return True
