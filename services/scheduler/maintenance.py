"""The leader's periodic duties: lost runs (by heartbeat), retries that are due, retention.

Not user jobs: they need no network and run inside the scheduler service.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from contracts.envelope import Event
from contracts.events import AttemptFailed, ExecutionMarkedFailed, RetentionApplied
from domain.run_policy import may_retry, retry_delay_s
from services.scheduler.firing import next_attempt
from services.scheduler.run_tracker import ActiveRun

if TYPE_CHECKING:
    from services.scheduler.office import Office

logger = logging.getLogger(__name__)


class Maintenance:
    def __init__(self, office: Office) -> None:
        self._office = office
        self._task: asyncio.Task[None] | None = None
        self._last_retention = 0.0
        self._cut_off = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="scheduler-maintenance")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        settings = self._office.service.settings
        while True:
            try:
                await self.run_once()
            except Exception:
                logger.exception("maintenance round failed; trying again next round")
            await asyncio.sleep(settings.maintenance_interval_s)

    async def run_once(self) -> None:
        office = self._office
        now = office.service.now()
        if not office.bus.connected:
            self._cut_off = True  # heartbeats cannot reach us: their silence means nothing now
            return
        if self._cut_off:
            # Back from an outage: every running run gets a full heartbeat timeout of fresh heartbeats.
            self._cut_off = False
            office.tracker.grace_all(now)
        for run in office.tracker.lost(now, office.service.settings.run_heartbeat_timeout_s):
            await self._declare_lost(run)
        for run in office.tracker.due_retries(now):
            await self._retry(run)
        retention = office.service.settings.retention
        if time.monotonic() - self._last_retention >= retention.interval_s:
            self._last_retention = time.monotonic()
            await self._apply_retention()

    async def _declare_lost(self, run: ActiveRun) -> None:
        office = self._office
        timeout = office.service.settings.run_heartbeat_timeout_s
        reason = f"worker lost: no heartbeat from {run.worker_id or 'its worker'} for more than {timeout:g} s"
        definition = office.definitions.get(run.job_id)
        envelope = {
            "producer": office.producer,
            "job_id": run.job_id,
            "execution_id": run.execution_id,
            "attempt": run.attempt,
        }
        logger.warning(reason, extra={"job_id": run.job_id, "execution_id": run.execution_id})
        event: Event
        if definition is not None and may_retry(definition.policy, run.attempt):
            delay = retry_delay_s(definition.policy, run.attempt)
            event = AttemptFailed(**envelope, reason="worker_lost", error_message=reason, retry_in_s=delay)
        else:
            event = ExecutionMarkedFailed(**envelope, actor=None, reason=reason)  # the scheduler itself
        await office.publish(event)
        office.tracker.observe(event, office.service.now())

    async def _retry(self, run: ActiveRun) -> None:
        office = self._office
        definition = office.definitions.get(run.job_id)
        if definition is None:
            return
        attempt = run.attempt + 1
        logger.info("attempt %d of %s", attempt, run.execution_id, extra={"execution_id": run.execution_id})
        await office.publish(next_attempt(definition, run, attempt, office.producer))
        office.tracker.retry_queued(run.execution_id, attempt, office.service.now())

    async def _apply_retention(self) -> None:
        office = self._office
        retention = office.service.settings.retention
        now = office.service.now()
        days = {
            "success": retention.success_days,
            "failed": retention.failed_days,
            "partial": retention.partial_days,
            "cancelled": retention.cancelled_days,
            "missed": retention.missed_days,
            "skipped": retention.skipped_days,
        }
        await office.publish(
            RetentionApplied(
                producer=office.producer,
                execution_cutoffs={status: now - timedelta(days=age) for status, age in days.items()},
                history_cutoff=now - timedelta(days=retention.history_days),
                event_cutoff=now - timedelta(days=retention.event_days),
            )
        )
