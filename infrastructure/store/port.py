"""The store ports, one per role.

The event store (`scheduler_events`), each read model's queries, the read-model writer, the projectors'
states, retention and rebuilds; `Store` is all of them at once.

Adapters: `sqlite_store.SQLiteStore` (embedded default: one file, WAL, several processes on one machine) and
`mongo_store.MongoStore` (`pymongo.AsyncMongoClient`). One behavioural suite checks both
(`tests/ports/test_store.py`).

Each consumer is typed by the roles it uses (the API reads, the projector writes through `ReadModelWriter`,
the replay uses `Rebuilds`, the alerter reads the `EventLog` and `ProjectorStates`): README, "Ports and
adapters". Writers: only the projector (and a replay) writes read models; the projector (and the API's alert
book) appends events. Every write is idempotent (a put replaces the record with the same key).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Collection
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import Literal
from typing import Protocol

from domain.read_model import ReadModelChanges
from domain.read_model import ReadModelView
from domain.records import BackfillRecord
from domain.records import ExecutionRecord
from domain.records import ExecutionStats
from domain.records import HistoryRecord
from domain.records import JobRecord
from domain.records import MetadataRecord
from domain.records import ProjectorStateRecord
from domain.records import SchedulerStateRecord
from infrastructure.store.documents import ACTIVE_STATUSES
from infrastructure.store.lifecycle_port import Lifecycle

__all__ = ["ReadModelChanges", "ReadModelView"]  # re-exported: the projector writes what the domain folds


class StoreUnavailable(RuntimeError):
    """The database cannot be reached."""


class ReplayInProgress(RuntimeError):
    """Another replay holds the store's replay lock (`Store.begin_rebuild`): one replay at a time."""


# A replay refreshes its lock at least this often while it works; a lock not refreshed for
# `REPLAY_LOCK_STALE_S` belonged to a replay that died, and the next replay takes it over.
REPLAY_LOCK_REFRESH_S = 5.0
REPLAY_LOCK_STALE_S = 60.0


class StoredEvent:
    """An event as the event store keeps it: its JSON document (the full envelope) plus store order.

    A store that keeps the document as JSON text may hand the text over (`text`) and leave it unparsed until
    `document` is first read: a replay decodes most events straight from the text
    (`contracts.codec.decode_current_event`), which is much faster than parsing a dict and validating it.
    """

    __slots__ = ("_document", "position", "text")

    def __init__(
        self, position: int, document: dict[str, Any] | None = None, *, text: str | None = None
    ) -> None:
        if document is None and text is None:
            raise TypeError("StoredEvent needs its document or its JSON text")
        self.position = position
        self.text = text
        self._document = document

    @property
    def document(self) -> dict[str, Any]:
        if self._document is None:
            assert self.text is not None
            self._document = json.loads(self.text)
        return self._document

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StoredEvent):
            return NotImplemented
        return (self.position, self.document) == (other.position, other.document)

    __hash__ = None  # type: ignore[assignment]  # mutable cache inside, equal by value: not hashable

    def __repr__(self) -> str:
        return f"StoredEvent(position={self.position!r}, document={self.document!r})"


# The moment of an execution a time filter applies to: when it was due (`scheduled_time`; a manual run is
# due when it was asked for) or when a worker started it (`started_at`; never-started runs do not match).
TimeField = Literal["scheduled", "started"]


@dataclass(frozen=True)
class ExecutionQuery:
    """Filters of the executions list, all combinable.

    `since` is inclusive, `until` exclusive, both on `time_field`; the total counts every match, whatever the
    page.
    """

    job_id: str | None = None
    status: str | None = None
    is_manual: bool | None = None
    limit: int = 50
    offset: int = 0
    since: datetime | None = None
    until: datetime | None = None
    time_field: TimeField = "scheduled"

    @property
    def has_time_range(self) -> bool:
        return self.since is not None or self.until is not None


@dataclass(frozen=True)
class JobDurations:
    """Durations of one job's executions over a window.

    Durations (seconds) of one job's executions that have one, over a window: how many, nearest-rank
    percentiles, the longest and the mean.
    """

    job_id: str
    runs: int
    p50: float
    p90: float
    p95: float
    longest: float
    mean: float


@dataclass(frozen=True)
class BackfillQuery:
    """A page of backfills; `active` True: only those not finished, False: only finished ones."""

    active: bool | None = None
    job_id: str | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class HistoryQuery:
    job_id: str | None = None
    status: str | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class EventQuery:
    """`since` is inclusive, `until` exclusive (MongoDB compares at millisecond precision)."""

    job_id: str | None = None
    execution_id: str | None = None
    type: str | None = None
    actor: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True)
class RetentionCutoffs:
    """Records older than these moments go; `None` keeps everything of that kind."""

    executions: dict[str, datetime]
    history: datetime | None = None
    events: datetime | None = None

    @property
    def removable_executions(self) -> dict[str, datetime]:
        """The executions' cut-offs less those of the active statuses (a run still going is never removed)."""
        return {status: cutoff for status, cutoff in self.executions.items() if status not in ACTIVE_STATUSES}


@dataclass(frozen=True)
class Difference:
    """One record that differs between a live read model and its rebuilt copy (None: missing there)."""

    read_model: str
    key: str
    live: dict[str, Any] | None
    rebuilt: dict[str, Any] | None


# Folds the events stored since the replay last read and writes them to the rebuild (see `ReadModelRebuild`).
CatchUp = Callable[[], Awaitable[None]]

# What a batch of events makes of the records it touches (the projector's fold of a `ReadModelView`).
ChangesOf = Callable[[ReadModelView], ReadModelChanges]

# The ids of the records a fold reads, in `load_view`'s order: execution ids, job ids, backfill ids.
ViewKeys = tuple[Collection[str], ...]


class ReadModelWriter(Protocol):
    """The projector's (and a replay's) write path: read what a fold needs, write what it changed."""

    async def load_view(
        self, execution_ids: Collection[str], job_ids: Collection[str], backfill_ids: Collection[str] = ()
    ) -> ReadModelView:
        """The records a fold needs.

        The records (and tombstones) of these executions and these jobs and their metadata, for a fold
        (one query per table).
        """

    async def apply_changes(self, changes: ReadModelChanges) -> None:
        """Write every change of a batch together.

        SQLite: one transaction; MongoDB: one transaction on a replica set, else each write on its own,
        idempotent.
        """


class ReadModelRebuild(ReadModelWriter, Protocol):
    """Fresh, empty read models that a replay fills.

    Tables or collections beside the live ones, filled from the event store, then swapped in or compared with
    the live ones. `scheduler_state` (the scheduler's liveness) and the projector's state are not rebuilt: no
    stored event makes them.
    """

    async def load_view(
        self, execution_ids: Collection[str], job_ids: Collection[str], backfill_ids: Collection[str] = ()
    ) -> ReadModelView:
        """What the rebuild holds so far of these executions (records and tombstones) and jobs."""

    async def prune(self, cutoffs: RetentionCutoffs) -> None:
        """Retention on the rebuilt read models (never on the event store)."""

    async def swap_in(self, catch_up: CatchUp) -> None:
        """Catch up, then swap the rebuilt read models in.

        Run `catch_up`, then replace the live read models by the rebuilt ones, atomically: a reader sees
        all old or all new (SQLite: one transaction, during which nothing else writes, so nothing is lost;
        MongoDB: renames, completed by the next `open` should the process die between them).
        """

    async def compare(self, catch_up: CatchUp, limit: int) -> tuple[list[Difference], int]:
        """Catch up, then compare the rebuilt read models with the live ones.

        Run `catch_up`, then compare the rebuilt read models with the live ones: up to `limit`
        differences and how many there are in all. The live ones are left as they are.
        """

    async def discard(self) -> None:
        """Drop the rebuilt read models and release the replay lock.

        After a compare, or a replay that failed.
        """

    @property
    def needs_live_catch_up(self) -> bool:
        """Whether the replay must apply the recent events to the live read models again.

        Whether events the projector applied to the live read models during the swap may be missing
        from the swapped-in ones (stores without a lock held across the swap): the replay then applies the
        events stored since to the live read models once more (applying twice changes nothing).
        """


@dataclass(frozen=True)
class JobView:
    """A job merged with its metadata (one query for the whole list)."""

    job: JobRecord
    metadata: MetadataRecord | None


class StoreLifecycle(Lifecycle, Protocol):
    """Connecting to the database and asking whether it answers (the composition roots, the API's probe)."""

    async def ping(self) -> bool:
        """Whether the database answers now."""


class EventLog(Protocol):
    """The event store.

    The event store (`scheduler_events`): appended by the projector (and the API's alert book), read by
    the API's event lists, the replay and the alerter.
    """

    async def append_event(self, document: dict[str, Any]) -> bool:
        """Store an event document once per `message_id`; False if it was already stored.

        The document is the codec's JSON form (`contracts.codec.to_document`): ValueError without a
        `message_id`, `type` or aware `occurred_at`, TypeError if it is not JSON.
        """

    async def append_events(self, documents: Sequence[dict[str, Any]]) -> int:
        """Store several events at once, each once per `message_id`; returns how many were new."""

    async def list_events(self, query: EventQuery) -> tuple[list[dict[str, Any]], int]:
        """Events matching the filters, oldest first, with the total count.

        Documents of an older version are shown upcast to their type's current shape
        (`contracts.codec.upcast_document`).
        """

    def iter_events(self, batch_size: int = 5000, after: int = 0) -> AsyncIterator[list[StoredEvent]]:
        """Every stored event after position `after`, in store order, in batches (for replay)."""

    async def count_events(self) -> int:
        """How many events are stored."""


class JobsReadModel(Protocol):
    """The jobs and their metadata, as the projector folded them (read by the API and the scheduler)."""

    async def get_job(self, job_id: str) -> JobRecord | None:
        """The job with this id, deleted ones included, or None."""

    async def list_jobs(self) -> list[JobView]:
        """Every job with its metadata, ordered by job_id, in one query."""

    async def get_job_view(self, job_id: str) -> JobView | None:
        """One job with its metadata, or None."""


class ExecutionsReadModel(Protocol):
    """The executions: single records, filtered pages, counts, durations and statistics."""

    async def get_execution(self, execution_id: str) -> ExecutionRecord | None:
        """The execution with this id, or None."""

    async def get_executions(self, execution_ids: Collection[str]) -> dict[str, ExecutionRecord]:
        """The executions among `execution_ids` that exist, by id (one query)."""

    async def list_executions(self, query: ExecutionQuery) -> tuple[list[ExecutionRecord], int]:
        """Executions newest first (`timestamp` descending) with the total count matching the filters.

        `is_manual=False` means "not manual".
        """

    async def count_executions(self, status: str | None = None) -> int:
        """How many executions there are (with this status)."""

    async def execution_counts(self, boundaries: Sequence[datetime]) -> list[dict[str, int]]:
        """Executions per status in each time window.

        Each window is `[boundaries[i], boundaries[i + 1])` of the executions' `timestamp` (when they were
        created), counted by the database whatever their number: one dict per window.
        """

    async def job_durations(self, since: datetime, until: datetime) -> list[JobDurations]:
        """Per job, the durations of its finished executions in a time range.

        The range is `[since, until)` of the executions' creation; only those with a duration (finished runs)
        count; ordered by job id.
        """

    async def last_executions(self) -> dict[str, ExecutionRecord]:
        """The newest execution of every job that has one, by job id."""

    async def execution_stats(self, job_id: str) -> ExecutionStats:
        """Counts per status, average duration of successes (2 decimals) and the last execution."""


class HistoryReadModel(Protocol):
    """The operators' and the scheduler's actions on jobs, newest first."""

    async def list_history(self, query: HistoryQuery) -> tuple[list[HistoryRecord], int]:
        """History newest first with the total count."""


class SchedulerStates(Protocol):
    """The schedulers' liveness, as their heartbeats last said (written through `apply_changes`)."""

    async def list_scheduler_states(self) -> list[SchedulerStateRecord]:
        """Every scheduler that sent a heartbeat, ordered by scheduler id."""


class ProjectorStates(Protocol):
    """The projectors' own state: written by each projector, read by the API and the alerter."""

    async def put_projector_state(self, record: ProjectorStateRecord) -> None:
        """Keep a projector's state.

        One record per projector process; records not updated for a week are removed.
        """

    async def list_projector_states(self) -> list[ProjectorStateRecord]:
        """Every projector's last state, ordered by projector id."""

    async def projector_lag_s(self) -> float | None:
        """How far the read models are behind the event log, in seconds.

        Seconds the read models are behind the event log, as the active projector last reported it
        (plus the time since, if it stopped reporting); None when no projector ever reported. Fits the
        API's `ProjectorLagProbe`.
        """


class Retention(Protocol):
    """Removing what is older than the retention (the projector, when a `RetentionApplied` arrives)."""

    async def prune(self, cutoffs: RetentionCutoffs) -> dict[str, int]:
        """Remove what is older than the retention cut-offs.

        Remove executions (per status), history, execution tombstones (history cut-off) and stored
        events older than the cut-offs; returns how many of each were removed. Executions still queued or
        running are never removed.
        """


class Rebuilds(Protocol):
    """Replays: fresh read models filled from the event log, then swapped in or compared."""

    async def begin_rebuild(self, holder: str = "replay") -> ReadModelRebuild:
        """Start a rebuild: the replay lock, then fresh, empty read models.

        Take the replay lock for `holder` (ReplayInProgress if another live replay has it), then fresh,
        empty read models to replay into (left-overs of an earlier replay are dropped first).
        """


class BackfillsReadModel(Protocol):
    """The backfills and the state of each day's run (read by the API and by a scheduler taking office)."""

    async def get_backfill(self, backfill_id: str) -> BackfillRecord | None:
        """The backfill with this id, or None."""

    async def list_backfills(self, query: BackfillQuery) -> tuple[list[BackfillRecord], int]:
        """Backfills newest first (by when they were asked for) with the total count matching."""


class BatchWriter(Protocol):
    """Appending a batch of events and folding it into the read models together (the projector)."""

    async def store_batch(
        self, documents: Sequence[dict[str, Any]], changes_of: ChangesOf, keys: ViewKeys
    ) -> int:
        """Append events (as `append_events`) and write what `changes_of` makes of the records `keys` name.

        `keys` are the ids `load_view` takes (executions, jobs, backfills); SQLite writes it all in one
        transaction. Answers how many events were new.
        """


class Store(
    StoreLifecycle,
    EventLog,
    ReadModelWriter,
    BatchWriter,
    JobsReadModel,
    ExecutionsReadModel,
    HistoryReadModel,
    BackfillsReadModel,
    SchedulerStates,
    ProjectorStates,
    Retention,
    Rebuilds,
    Protocol,
):
    """Every role at once: what an adapter implements and a composition root hands out, by role."""
