"""The projector: appends each event once to the event store and applies it to the read models.

Events come in batches (what has arrived, in order): the batch is appended in one statement, the records
it touches are read in one query each, the pure projections fold the events over them in memory, and the
changes are written in one transaction. The bus acknowledges the batch only after that. Applying is
idempotent (the projections are guarded), so an event is applied even when the event store already had
it: a crash between append and apply is mended by the broker's redelivery.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from contracts.codec import to_document
from contracts.envelope import Event, ExecutionEvent, JobEvent, Message, utc_now
from contracts.events import JobMetadataUpdated, RetentionApplied, SchedulerHeartbeat, WorkerHeartbeat
from domain.catalogue_projection import history_entry, project_job, project_metadata, scheduler_state
from domain.execution_projection import project_execution
from domain.records import ExecutionRecord, JobRecord, MetadataRecord
from infrastructure.bus.port import Reject
from infrastructure.store.port import ReadModelChanges, RetentionCutoffs, Store

logger = logging.getLogger(__name__)

# Liveness, not state: not kept in the event store (and worker heartbeats change no read model).
NOT_STORED = (SchedulerHeartbeat, WorkerHeartbeat)


@dataclass
class ProjectionStats:
    """Counters an operator would watch: how much was applied, how many duplicates, how late."""

    applied: int = 0
    duplicates: int = 0
    batches: int = 0
    last_lag_s: float = 0.0
    max_lag_s: float = 0.0
    last_applied_monotonic: float = field(default_factory=time.monotonic)


class Projector:
    def __init__(self, store: Store) -> None:
        self._store = store
        self.stats = ProjectionStats()

    async def on_events(self, messages: Sequence[Message]) -> None:
        """Batch handler for the projector's queue."""
        events: list[Event] = []
        for message in messages:
            if not isinstance(message, Event):
                raise Reject(f"the projector takes events only, got {message.kind} {message.type}")
            events.append(message)
        await self.project_batch(events)

    async def on_event(self, message: Message) -> None:
        await self.on_events([message])

    async def project(self, event: Event) -> None:
        await self.project_batch([event])

    async def project_batch(self, events: Sequence[Event]) -> None:
        """Store and apply events in order; a retention cut-off is applied where it stands in the stream."""
        segment: list[Event] = []
        for event in events:
            if isinstance(event, RetentionApplied):
                await self._store_and_apply(segment)
                await self._store_and_apply([event])
                await self._store.prune(
                    RetentionCutoffs(event.execution_cutoffs, event.history_cutoff, event.event_cutoff)
                )
                segment = []
            else:
                segment.append(event)
        await self._store_and_apply(segment)

    async def apply_batch(self, events: Sequence[Event]) -> None:
        """Apply events to the read models without storing them (replay: they come from the store)."""
        changes = await self._fold(events)
        await self._store.apply_changes(changes)

    async def _store_and_apply(self, events: Sequence[Event]) -> None:
        if not events:
            return
        documents = [to_document(event) for event in events if not isinstance(event, NOT_STORED)]
        stored = await self._store.append_events(documents)
        self.stats.duplicates += len(documents) - stored
        await self.apply_batch(events)
        self._count(events)

    async def _fold(self, events: Sequence[Event]) -> ReadModelChanges:
        changes = ReadModelChanges()
        execution_ids = {event.execution_id for event in events if isinstance(event, ExecutionEvent)}
        executions: dict[str, ExecutionRecord | None] = dict(await self._store.get_executions(execution_ids))
        jobs: dict[str, JobRecord | None] = {}
        metadata: dict[str, MetadataRecord | None] = {}
        for event in events:
            if isinstance(event, SchedulerHeartbeat):
                changes.scheduler_states[event.scheduler_id] = scheduler_state(event)
            elif isinstance(event, ExecutionEvent):
                updated = project_execution(executions.get(event.execution_id), event)
                if updated != executions.get(event.execution_id):
                    executions[event.execution_id] = changes.executions[event.execution_id] = updated
            elif isinstance(event, JobMetadataUpdated):
                if event.job_id not in metadata:
                    metadata[event.job_id] = await self._store.get_metadata(event.job_id)
                record = project_metadata(metadata[event.job_id], event)
                metadata[event.job_id] = changes.metadata[event.job_id] = record
            elif isinstance(event, JobEvent):
                if event.job_id not in jobs:
                    jobs[event.job_id] = await self._store.get_job(event.job_id)
                job = project_job(jobs[event.job_id], event)
                if job is not None and job != jobs[event.job_id]:
                    jobs[event.job_id] = changes.jobs[event.job_id] = job
            entry = history_entry(event)
            if entry is not None:
                changes.history[entry.history_id] = entry
        return changes

    def _count(self, events: Sequence[Event]) -> None:
        now = utc_now()
        lag = max((now - events[-1].occurred_at).total_seconds(), 0.0)
        self.stats.applied += len(events)
        self.stats.batches += 1
        self.stats.last_lag_s = lag
        self.stats.max_lag_s = max(self.stats.max_lag_s, lag)
        self.stats.last_applied_monotonic = time.monotonic()
