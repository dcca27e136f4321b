"""The run-log writer.

Stores the lines runs logged (`RunLogBatch`, queue `projector.run-logs`) in the run-log store, beside the
event log, and deletes those older than the retention.

Runs in the projector process (and in the embedded one). A store that is unavailable is waited for, batch
held (the broker keeps it until acknowledged), rather than failing the batch.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from collections.abc import Sequence
from datetime import datetime
from datetime import timedelta

from contracts.envelope import Message
from contracts.envelope import utc_now
from contracts.run_log_settings import RunLogSettings
from contracts.run_logs import RunLogBatch
from infrastructure.background import Repeating
from infrastructure.background import every
from infrastructure.bus.port import Reject
from infrastructure.store.port import StoreUnavailable
from infrastructure.store.run_logs_port import RunLogLine
from infrastructure.store.run_logs_port import RunLogStore
from infrastructure.store.run_logs_port import lines_of

logger = logging.getLogger(__name__)

RETRY_DELAYS_S = (0.1, 0.5, 1.0, 2.0, 5.0)


class RunLogWriter:
    """Stores the lines runs logged into the run-log store, and deletes those past the retention."""

    def __init__(
        self,
        store: RunLogStore,
        settings: RunLogSettings | None = None,
        *,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._settings = settings or RunLogSettings()
        self._clock = clock
        self.lines_stored = 0

    async def on_batches(self, messages: Sequence[Message]) -> None:
        """Batch handler of the run-log queue; returns once every line is stored."""
        lines: list[RunLogLine] = []
        for message in messages:
            if not isinstance(message, RunLogBatch):
                raise Reject(f"the run-log writer takes RunLogBatch only, got {message.type}")
            lines.extend(lines_of(message))
        for attempt in itertools.count():
            try:
                self.lines_stored += await self._store.append(lines)
                return
            except StoreUnavailable as error:
                delay = RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S) - 1)]
                logger.warning("run log lines not stored (%s); trying again in %g s", error, delay)
                await asyncio.sleep(delay)

    async def purge_once(self) -> int:
        """Delete the lines older than the retention; how many went."""
        cutoff = self._clock() - timedelta(days=self._settings.retention_days)
        purged = await self._store.purge(cutoff)
        if purged:
            logger.info("run logs: %d line(s) older than %s deleted", purged, cutoff.isoformat())
        return purged

    async def purge_periodically(self) -> None:
        """Purge now, then every `purge_interval_s`."""
        pause = every(lambda: self._settings.purge_interval_s)
        await Repeating(self._purge_or_warn, pause, "run logs not purged", logger=logger).forever()

    async def _purge_or_warn(self) -> None:
        try:
            await self.purge_once()
        except StoreUnavailable as error:  # an outage is said in one line, without a traceback
            logger.warning("run logs not purged: %s", error)
