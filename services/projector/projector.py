"""The projector: appends each event once to the event store and applies it to the read models.

Applying is idempotent (the projections are guarded), so an event is applied even when the event store
already had it: a crash between append and apply is mended by the broker's redelivery. The message is
acknowledged (by the bus) only after this handler returns.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from contracts.codec import to_document
from contracts.envelope import Event, ExecutionEvent, JobEvent, Message, utc_now
from contracts.events import JobMetadataUpdated, RetentionApplied, SchedulerHeartbeat
from domain.catalogue_projection import history_entry, project_job, project_metadata, scheduler_state
from domain.execution_projection import project_execution
from infrastructure.bus.port import Reject
from infrastructure.store.port import RetentionCutoffs, Store

logger = logging.getLogger(__name__)


@dataclass
class ProjectionStats:
    """Counters an operator would watch: how much was applied, how many duplicates, how late."""

    applied: int = 0
    duplicates: int = 0
    last_lag_s: float = 0.0
    max_lag_s: float = 0.0
    last_applied_monotonic: float = field(default_factory=time.monotonic)


class Projector:
    def __init__(self, store: Store) -> None:
        self._store = store
        self.stats = ProjectionStats()

    async def on_event(self, message: Message) -> None:
        if not isinstance(message, Event):
            raise Reject(f"the projector takes events only, got {message.kind} {message.type}")
        await self.project(message)

    async def project(self, event: Event) -> None:
        if isinstance(event, SchedulerHeartbeat):
            # Liveness, not a state change: it updates the scheduler state and is not kept for audit.
            await self._store.put_scheduler_state(scheduler_state(event))
        else:
            if not await self._store.append_event(to_document(event)):
                self.stats.duplicates += 1
            await self.apply(event)
        self._count(event)

    async def apply(self, event: Event) -> None:
        """Apply one event to the read models (also used by replay)."""
        if isinstance(event, ExecutionEvent):
            await self._apply_execution(event)
        elif isinstance(event, JobMetadataUpdated):
            current = await self._store.get_metadata(event.job_id)
            await self._store.put_metadata(project_metadata(current, event))
        elif isinstance(event, JobEvent):
            job = await self._store.get_job(event.job_id)
            updated = project_job(job, event)
            if updated is not None and updated != job:
                await self._store.put_job(updated)
        if isinstance(event, RetentionApplied):
            removed = await self._store.prune(
                RetentionCutoffs(event.execution_cutoffs, event.history_cutoff, event.event_cutoff)
            )
            logger.info("retention applied: removed %s", removed)
        entry = history_entry(event)
        if entry is not None:
            await self._store.put_history(entry)

    async def _apply_execution(self, event: ExecutionEvent) -> None:
        current = await self._store.get_execution(event.execution_id)
        updated = project_execution(current, event)
        if updated is None:
            if current is not None:
                await self._store.delete_execution(event.execution_id)
        elif updated != current:
            await self._store.put_execution(updated)

    def _count(self, event: Event) -> None:
        lag = max((utc_now() - event.occurred_at).total_seconds(), 0.0)
        self.stats.applied += 1
        self.stats.last_lag_s = lag
        self.stats.max_lag_s = max(self.stats.max_lag_s, lag)
        self.stats.last_applied_monotonic = time.monotonic()
