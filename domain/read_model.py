"""Folding a run of events over the read models, in memory: what the projector and the replay both do.

`fold_events` is pure: it reads the records it needs from a `ReadModelView` (filled by the caller with
everything the events touch: `needed_keys`), updates the view, and returns the changes to write. Folding
events one run at a time or all at once gives the same records, so a live projector (batches of what has
arrived) and a replay (large batches from the event store) build identical read models.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

from contracts.envelope import Event
from contracts.envelope import ExecutionEvent
from contracts.envelope import JobEvent
from contracts.events import JobMetadataUpdated
from contracts.events import SchedulerHeartbeat
from domain.backfill_projection import backfill_key
from domain.backfill_projection import project_backfill
from domain.catalogue_projection import history_entry
from domain.catalogue_projection import project_job
from domain.catalogue_projection import project_metadata
from domain.catalogue_projection import scheduler_state
from domain.execution_projection import ExecutionState
from domain.execution_projection import project_execution
from domain.job_definition_projection import DEFINITION_EVENTS
from domain.job_definition_projection import DefinitionEvent
from domain.job_definition_projection import definition_history
from domain.job_definition_projection import project_definition
from domain.job_definition_projection import project_definition_metadata
from domain.records import BackfillRecord
from domain.records import ExecutionRecord
from domain.records import ExecutionTombstone
from domain.records import HistoryRecord
from domain.records import JobRecord
from domain.records import MetadataRecord
from domain.records import SchedulerStateRecord


@dataclass
class ReadModelChanges:
    """What a run of events changed in the read models, written together.

    One transaction where the store has them. An execution mapped to `None` is deleted (its tombstone is in
    `tombstones`).
    """

    executions: dict[str, ExecutionRecord | None] = field(default_factory=dict)
    tombstones: dict[str, ExecutionTombstone] = field(default_factory=dict)
    jobs: dict[str, JobRecord] = field(default_factory=dict)
    metadata: dict[str, MetadataRecord] = field(default_factory=dict)
    history: dict[str, HistoryRecord] = field(default_factory=dict)
    scheduler_states: dict[str, SchedulerStateRecord] = field(default_factory=dict)
    backfills: dict[str, BackfillRecord] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(
            (self.executions, self.tombstones, self.jobs, self.metadata, self.history, self.scheduler_states)
        ) or bool(self.backfills)

    def merge(self, later: ReadModelChanges) -> None:
        """Add the changes of a later run of events (later writes replace earlier ones)."""
        for name in (
            "executions", "tombstones", "jobs", "metadata", "history", "scheduler_states", "backfills"
        ):  # fmt: skip
            getattr(self, name).update(getattr(later, name))


@dataclass
class ReadModelView:
    """The current records a fold reads, by key. A key that is absent means "no record"."""

    executions: dict[str, ExecutionState] = field(default_factory=dict)
    jobs: dict[str, JobRecord | None] = field(default_factory=dict)
    metadata: dict[str, MetadataRecord | None] = field(default_factory=dict)
    backfills: dict[str, BackfillRecord] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        executions: Iterable[ExecutionRecord],
        tombstones: Iterable[ExecutionTombstone],
        jobs: Iterable[JobRecord],
        metadata: Iterable[MetadataRecord],
        backfills: Iterable[BackfillRecord] = (),
    ) -> ReadModelView:
        """The view of these stored records; a tombstone stands in for its execution's record."""
        view = cls()
        for record in executions:
            view.executions[record.execution_id] = record
        for tombstone in tombstones:
            view.executions[tombstone.execution_id] = tombstone
        view.jobs.update((job.job_id, job) for job in jobs)
        view.metadata.update((item.job_id, item) for item in metadata)
        view.backfills.update((item.backfill_id, item) for item in backfills)
        return view


@dataclass(frozen=True)
class NeededKeys:
    """The executions and jobs a run of events touches: what the caller loads into the view before a fold."""

    execution_ids: frozenset[str]
    job_ids: frozenset[str]  # for jobs and metadata
    backfill_ids: frozenset[str] = frozenset()


def needed_keys(events: Iterable[Event]) -> NeededKeys:
    """The execution ids, job ids and backfill ids `events` touch, so the caller reads only those records."""
    execution_ids: set[str] = set()
    job_ids: set[str] = set()
    backfill_ids: set[str] = set()
    for event in events:
        backfill_id = backfill_key(event)
        if backfill_id is not None:
            backfill_ids.add(backfill_id)
        if isinstance(event, ExecutionEvent):
            execution_ids.add(event.execution_id)
        elif isinstance(event, JobEvent):
            job_ids.add(event.job_id)
    return NeededKeys(frozenset(execution_ids), frozenset(job_ids), frozenset(backfill_ids))


def fold_events(view: ReadModelView, events: Sequence[Event]) -> ReadModelChanges:
    """Apply `events` in order to the records of `view` (updated in place); the records that changed."""
    changes = ReadModelChanges()
    for event in events:
        _fold_backfill(view, changes, event)
        if isinstance(event, SchedulerHeartbeat):
            changes.scheduler_states[event.scheduler_id] = scheduler_state(event)
        elif isinstance(event, ExecutionEvent):
            _fold_execution(view, changes, event)
        elif isinstance(event, DEFINITION_EVENTS):
            _fold_definition(view, changes, event)
            continue
        elif isinstance(event, JobMetadataUpdated):
            metadata = project_metadata(view.metadata.get(event.job_id), event)
            if metadata != view.metadata.get(event.job_id):
                view.metadata[event.job_id] = changes.metadata[event.job_id] = metadata
        elif isinstance(event, JobEvent):
            job = project_job(view.jobs.get(event.job_id), event)
            if job is not None and job != view.jobs.get(event.job_id):
                view.jobs[event.job_id] = changes.jobs[event.job_id] = job
        entry = history_entry(event)
        if entry is not None:
            changes.history[entry.history_id] = entry
    return changes


def _fold_backfill(view: ReadModelView, changes: ReadModelChanges, event: Event) -> None:
    """A backfill's own event, or an event of one of its runs: its record."""
    backfill_id = backfill_key(event)
    if backfill_id is None:
        return
    before = view.backfills.get(backfill_id)
    after = project_backfill(before, event)
    if after is not None and after is not before:
        view.backfills[backfill_id] = changes.backfills[backfill_id] = after


def _fold_definition(view: ReadModelView, changes: ReadModelChanges, event: DefinitionEvent) -> None:
    """A job created, changed or deleted: its record, its metadata and the history line."""
    before = view.jobs.get(event.job_id)
    job = project_definition(before, event)
    if job is not None and job != before:
        view.jobs[event.job_id] = changes.jobs[event.job_id] = job
        metadata = project_definition_metadata(view.metadata.get(event.job_id), event)
        if metadata is not None and metadata != view.metadata.get(event.job_id):
            view.metadata[event.job_id] = changes.metadata[event.job_id] = metadata
    entry = definition_history(event)
    changes.history[entry.history_id] = entry


def _fold_execution(view: ReadModelView, changes: ReadModelChanges, event: ExecutionEvent) -> None:
    before = view.executions.get(event.execution_id)
    after = project_execution(before, event)
    if after is before:  # the event changed nothing (`project_execution` then returns its state)
        return
    view.executions[event.execution_id] = after
    if isinstance(after, ExecutionTombstone):
        changes.executions[event.execution_id] = None
        changes.tombstones[event.execution_id] = after
    else:
        changes.executions[event.execution_id] = after
