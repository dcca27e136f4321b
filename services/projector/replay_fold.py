"""Folding stored events into read models during a replay.

Decode (upcasting old versions), skip what cannot be decoded, fold in memory, write one batch at a time.

Into fresh read models (`fresh=True`) the folder knows every record there is: those it wrote. It keeps the
records of the last batch in memory (an execution's events are mostly close together in the log) and asks
the target only for older ones it has written, never for ids it has not seen. Into live read models it
reads every record a batch needs, as the projector does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Protocol

from contracts.codec import MessageRejected
from contracts.codec import decode_current_event
from contracts.codec import from_document
from contracts.envelope import Event
from contracts.events import RetentionApplied
from domain.read_model import ReadModelView
from domain.read_model import fold_events
from domain.read_model import needed_keys
from infrastructure.store.port import ReadModelWriter
from infrastructure.store.port import RetentionCutoffs
from infrastructure.store.port import StoredEvent


class FoldTarget(ReadModelWriter, Protocol):
    """Where a folder writes: a `ReadModelRebuild`, or the live read models of a `Store`."""

    async def prune(self, cutoffs: RetentionCutoffs) -> object:
        """Apply retention to the target's read models."""


@dataclass
class Skipped:
    """Stored events a replay could not decode, by type, with one reason each as an example."""

    by_type: Counter[str] = field(default_factory=Counter)
    reasons: dict[str, str] = field(default_factory=dict)

    def add(self, event_type: str, reason: str) -> None:
        """Count one event of `event_type` skipped; the first reason given is kept as the example."""
        self.by_type[event_type] += 1
        self.reasons.setdefault(event_type, reason)

    @property
    def total(self) -> int:
        """How many events were skipped, all types together."""
        return sum(self.by_type.values())


class ReplayFolder:
    """Folds stored events into read models during a replay, one batch at a time."""

    def __init__(self, target: FoldTarget, *, fresh: bool) -> None:
        self._target = target
        self._fresh = fresh
        self._view = ReadModelView()
        self._written: set[str] = set()  # executions with a record or a tombstone in a fresh target
        self.position = 0  # store position of the last event folded
        self.folded = 0
        self.skipped = Skipped()

    async def fold_stored(self, batch: Sequence[StoredEvent]) -> None:
        """Decode and fold a batch read from the event store (in store order)."""
        events: list[Event] = []
        for stored in batch:
            event = self._decoded(stored)
            if event is not None:
                events.append(event)
        await self.fold(events)
        if batch:
            self.position = batch[-1].position

    def _decoded(self, stored: StoredEvent) -> Event | None:
        if stored.text is not None and (event := decode_current_event(stored.text)) is not None:
            return event  # the common case, in one pass; anything else the slow way, with its reason
        event_type = str(stored.document.get("type"))
        try:
            message = from_document(stored.document)
        except MessageRejected as rejected:
            self.skipped.add(event_type, rejected.reason)
            return None
        if not isinstance(message, Event):
            self.skipped.add(event_type, f"a {message.kind}, not an event")
            return None
        return message

    async def fold(self, events: Sequence[Event]) -> None:
        """Fold in order, pruning where a retention cut-off stands.

        Fold in order; a retention cut-off prunes the read models where it stands in the stream (the event
        store is never pruned by a replay).
        """
        segment: list[Event] = []
        for event in events:
            segment.append(event)
            if isinstance(event, RetentionApplied):
                await self._fold_segment(segment)
                await self._target.prune(RetentionCutoffs(event.execution_cutoffs, event.history_cutoff))
                self._view.executions.clear()  # what was pruned is no longer there
                segment = []
        await self._fold_segment(segment)

    async def _fold_segment(self, events: Sequence[Event]) -> None:
        if not events:
            return
        keys = needed_keys(events)
        if self._fresh:
            cached = self._view.executions
            missing = [key for key in keys.execution_ids if key not in cached and key in self._written]
            if missing:
                self._view.executions.update((await self._target.load_view(missing, ())).executions)
            view = ReadModelView(
                executions={key: cached[key] for key in keys.execution_ids if key in cached},
                jobs=self._view.jobs,  # every job and its metadata: few, all kept
                metadata=self._view.metadata,
                backfills=self._view.backfills,  # few, all kept
            )
        else:
            view = await self._target.load_view(keys.execution_ids, keys.job_ids, keys.backfill_ids)
        changes = fold_events(view, events)
        changes.scheduler_states.clear()  # liveness, not rebuilt (old stores may hold heartbeats)
        await self._target.apply_changes(changes)
        self._view.executions = view.executions  # the records of this segment, for the next one
        self._written.update(changes.executions)
        self.folded += len(events)
