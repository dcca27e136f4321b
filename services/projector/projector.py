"""The projector: appends each event once to the event store and applies it to the read models.

Events come in batches (what has arrived, in order): the batch is appended in one statement (each event once
per `message_id`), the records it touches are read in one query per table, the pure fold
(`domain.read_model.fold_events`) applies the events to them in memory, and the changes are written in one
transaction. The bus acknowledges the batch only after that. Applying is idempotent, so an event is applied
even when the event store already had it: a crash between append and apply is mended by the redelivery.

A store that is unavailable (busy, down) is waited for, batch held, rather than failing the batch: a failed
batch would be dead-lettered, and its events would be missing from the read models.

The batches and the state reports (written by a background task while idle) take turns at the store
(`_store_turn`): a store may have one connection per process on which transactions must not interleave
(SQLite: a report's `BEGIN` inside a batch's transaction fails, and a batch's `BEGIN` inside a report's failed
the batch, whose events were then dead-lettered and lost).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from contracts.codec import to_document
from contracts.envelope import Event
from contracts.envelope import Message
from contracts.envelope import utc_now
from contracts.events import RetentionApplied
from contracts.events import SchedulerHeartbeat
from contracts.events import WorkerHeartbeat
from contracts.topology import PROJECTOR
from domain.read_model import fold_events
from domain.read_model import needed_keys
from infrastructure.background import Repeating
from infrastructure.background import every
from infrastructure.bus.delivery import dead_lettered
from infrastructure.bus.port import Reject
from infrastructure.store.port import BatchWriter
from infrastructure.store.port import EventLog
from infrastructure.store.port import ProjectorStates
from infrastructure.store.port import ReadModelWriter
from infrastructure.store.port import Retention
from infrastructure.store.port import RetentionCutoffs
from infrastructure.store.port import StoreUnavailable
from services.projector.stats import ProjectionStats

logger = logging.getLogger(__name__)

# Liveness, not state: not kept in the event store (and worker heartbeats change no read model).
NOT_STORED = (SchedulerHeartbeat, WorkerHeartbeat)
RETRY_DELAYS_S = (0.1, 0.5, 1.0, 2.0, 5.0)  # then every 5 s until the store answers


class ProjectorStore(EventLog, ReadModelWriter, BatchWriter, Retention, ProjectorStates, Protocol):
    """What the projector does with the store.

    Append events, fold them into the read models, apply retention and report its own state.
    """


class Projector:
    """Appends each event once to the event store and folds it into the read models, a batch at a time."""

    def __init__(
        self,
        store: ProjectorStore,
        *,
        projector_id: str = "projector",
        state_interval_s: float = 5.0,
        queue: str = PROJECTOR.name,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store = store
        self._clock = clock
        self._queue = queue
        self._dead_lettered_at_start = dead_lettered(queue)
        self._last_report: datetime | None = None
        self.projector_id = projector_id
        self.state_interval_s = state_interval_s
        self.stats = ProjectionStats(started_at=clock())
        # One writer at a time: a batch (append, then apply) and a state report never interleave.
        self._store_turn = asyncio.Lock()

    @property
    def active(self) -> bool:
        """Whether this projector has applied anything (a standby of a single-active queue has not)."""
        return self.stats.batches > 0

    async def on_events(self, messages: Sequence[Message]) -> None:
        """Batch handler for the projector's queue; returns once every event is stored and applied."""
        events: list[Event] = []
        for message in messages:
            if not isinstance(message, Event):
                raise Reject(f"the projector takes events only, got {message.kind} {message.type}")
            events.append(message)
        self.stats.batch_started(events)
        try:
            await self._until_stored(events)
        finally:
            self.stats.in_flight_since = None
        self.stats.batch_applied(events, self._clock())
        await self._report_if_due()

    async def _until_stored(self, events: Sequence[Event]) -> None:
        for attempt in itertools.count():
            try:
                async with self._store_turn:
                    await self.project_batch(events)
                return
            except StoreUnavailable as error:
                delay = RETRY_DELAYS_S[min(attempt, len(RETRY_DELAYS_S) - 1)]
                self.stats.store_retries += 1
                logger.warning(
                    "store unavailable (%s); batch of %d held, retry in %g s", error, len(events), delay
                )
                await asyncio.sleep(delay)

    async def project_batch(self, events: Sequence[Event]) -> None:
        """Store and apply events in order; a retention cut-off is applied where it stands in the stream."""
        segment: list[Event] = []
        for event in events:
            if isinstance(event, RetentionApplied):
                await self._store_and_apply([*segment, event])
                await self._store.prune(
                    RetentionCutoffs(event.execution_cutoffs, event.history_cutoff, event.event_cutoff)
                )
                segment = []
            else:
                segment.append(event)
        await self._store_and_apply(segment)

    async def apply_batch(self, events: Sequence[Event]) -> None:
        """Apply events to the read models without storing them."""
        keys = needed_keys(events)
        view = await self._store.load_view(keys.execution_ids, keys.job_ids, keys.backfill_ids)
        await self._store.apply_changes(fold_events(view, events))

    async def _store_and_apply(self, events: Sequence[Event]) -> None:
        if not events:
            return
        documents = [to_document(event) for event in events if not isinstance(event, NOT_STORED)]
        keys = needed_keys(events)
        stored = await self._store.store_batch(
            documents,
            lambda view: fold_events(view, events),
            (keys.execution_ids, keys.job_ids, keys.backfill_ids),
        )
        self.stats.runs.apply(events)  # once applied; it counts each execution's facts once
        self.stats.stored += stored
        self.stats.duplicates += len(documents) - stored
        self.stats.not_stored += len(events) - len(documents)

    # --- state -------------------------------------------------------------------------------------
    async def report_state(self) -> None:
        """Write this projector's state for the API (lag, counts); only once it has been active."""
        if not self.active:
            return
        async with self._store_turn:
            now = self._clock()
            self.stats.dead_lettered = dead_lettered(self._queue) - self._dead_lettered_at_start
            state = self.stats.state(self.projector_id, now, self.state_interval_s)
            await self._store.put_projector_state(state)
        self._last_report = now
        self.stats.applied_since_report = False

    async def _report_if_due(self) -> None:
        last = self._last_report
        if last is not None and (self._clock() - last).total_seconds() < self.state_interval_s:
            return
        try:
            await self.report_state()
        except StoreUnavailable:
            logger.warning("projector state not written: store unavailable", exc_info=True)

    async def report_periodically(self) -> None:
        """Keep the state fresh while idle (an idle projector reports lag 0: it is caught up)."""
        pause = every(lambda: self.state_interval_s)
        failure = "projector state not written"
        await Repeating(self._report_if_due, pause, failure, pause_first=True, logger=logger).forever()
