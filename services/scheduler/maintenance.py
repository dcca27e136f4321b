"""The leader's periodic duties.

The decider's watch over runs in flight (lost runs, due retries, queued runs whose delivery was lost, fires
whose wait for their upstream jobs timed out), retention, and the reconciliation with the read model
(`services.scheduler.reconciliation`).

Durations are measured on the monotonic clock: a step of the wall clock neither fails a healthy run nor
delays a retry.
"""

from __future__ import annotations

import logging
from datetime import datetime
from datetime import timedelta

from contracts.events import RetentionApplied
from domain.scheduling.decide import Watch
from domain.scheduling.decide import decide_tick
from domain.scheduling.state import graced
from infrastructure.background import BackgroundLoop
from infrastructure.background import Repeating
from infrastructure.background import every
from services.scheduler.dependencies import settle_waiting
from services.scheduler.desk import Desk
from services.scheduler.reconciliation import Reconciler

logger = logging.getLogger(__name__)


class Maintenance:
    """The leader's watch loop: one `decide_tick` per round, retention once per interval."""

    def __init__(self, desk: Desk) -> None:
        self._desk = desk
        interval = every(lambda: desk.settings.maintenance_interval_s)
        failure = "maintenance round failed; trying again next round"
        rounds = Repeating(self.run_once, interval, failure, logger=logger)
        self._loop = BackgroundLoop("scheduler-maintenance", rounds)
        self._last_retention: float | None = None
        self._cut_off = False
        self._reconciler = Reconciler(desk)
        settings = desk.settings
        self.watch = Watch(
            heartbeat_timeout_s=settings.run_heartbeat_timeout_s,
            queued_redispatch_s=settings.queued_run_redispatch_s,
            queued_max_wait_s=settings.queued_run_max_wait_s,
        )

    def start(self) -> None:
        """Start the watch loop (a task of the leader's office)."""
        self._loop.start()

    async def stop(self) -> None:
        """Stop the watch loop."""
        await self._loop.stop()

    async def run_once(self) -> None:
        """One round: the decider's tick over runs in flight, retention and reconciliation if they are due.

        Nothing is decided while the bus is away; after an outage every running run gets a fresh
        heartbeat timeout.
        """
        desk = self._desk
        if not desk.bus.connected:
            self._cut_off = True  # heartbeats cannot reach us: their silence means nothing now
            return
        if self._cut_off:
            # Back from an outage: every running run gets a full heartbeat timeout of fresh heartbeats.
            self._cut_off = False
            desk.state = graced(desk.state, desk.now())
        for decision in decide_tick(
            desk.state, desk.definitions, desk.now(), self.watch, producer=desk.producer
        ):
            await desk.carry_out(decision)
        await settle_waiting(desk)  # the fires whose wait for their upstream jobs timed out
        now = desk.now()
        retention = desk.settings.retention
        if self._last_retention is None or now.mono - self._last_retention >= retention.interval_s:
            self._last_retention = now.mono
            await desk.publish((retention_cutoffs(desk, now.wall),))
        await self._reconciler.run_once()  # runs the state lost track of: watched from the next round


def retention_cutoffs(desk: Desk, now: datetime) -> RetentionApplied:
    """The `RetentionApplied` event for `now`: per status, the age beyond which records are pruned."""
    retention = desk.settings.retention
    days = {
        "success": retention.success_days,
        "failed": retention.failed_days,
        "partial": retention.partial_days,
        "cancelled": retention.cancelled_days,
        "missed": retention.missed_days,
        "skipped": retention.skipped_days,
    }
    return RetentionApplied(
        producer=desk.producer,
        execution_cutoffs={status: now - timedelta(days=age) for status, age in days.items()},
        history_cutoff=now - timedelta(days=retention.history_days),
        event_cutoff=now - timedelta(days=retention.event_days),
    )
