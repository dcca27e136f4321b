"""The store port: the event store (`scheduler_events`) and the read models.

Adapters: `sqlite_store.SQLiteStore` (embedded default: one file, WAL, several processes on one machine) and
`mongo_store.MongoStore` (`pymongo.AsyncMongoClient`). One behavioural suite checks both
(`tests/ports/test_store.py`).

Writers: only the projector writes read models; only the projector appends events. Readers: the API.
Every write is idempotent (a put replaces the record with the same key).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from domain.records import (
    ExecutionRecord,
    ExecutionStats,
    HistoryRecord,
    JobRecord,
    MetadataRecord,
    SchedulerStateRecord,
)


class StoreUnavailable(RuntimeError):
    """The database cannot be reached."""


@dataclass(frozen=True)
class StoredEvent:
    """An event as the event store keeps it: its JSON document (the full envelope) plus store order."""

    position: int
    document: dict[str, Any]


@dataclass(frozen=True)
class ExecutionQuery:
    job_id: str | None = None
    status: str | None = None
    is_manual: bool | None = None
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


@dataclass
class ReadModelChanges:
    """What a batch of events changed in the read models, written together (one transaction where the
    store has them). An execution mapped to `None` is deleted."""

    executions: dict[str, ExecutionRecord | None] = field(default_factory=dict)
    jobs: dict[str, JobRecord] = field(default_factory=dict)
    metadata: dict[str, MetadataRecord] = field(default_factory=dict)
    history: dict[str, HistoryRecord] = field(default_factory=dict)
    scheduler_states: dict[str, SchedulerStateRecord] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any((self.executions, self.jobs, self.metadata, self.history, self.scheduler_states))


@dataclass(frozen=True)
class JobView:
    """A job merged with its metadata (one query for the whole list)."""

    job: JobRecord
    metadata: MetadataRecord | None


class Store(Protocol):
    async def open(self) -> None:
        """Connect and create the tables/collections and indexes if missing."""

    async def close(self) -> None: ...

    async def ping(self) -> bool: ...

    # --- event store -------------------------------------------------------------------------------
    async def append_event(self, document: dict[str, Any]) -> bool:
        """Store an event document once per `message_id`; False if it was already stored.

        The document is the codec's JSON form (`contracts.codec.to_document`): ValueError without a
        `message_id`, `type` or aware `occurred_at`, TypeError if it is not JSON."""

    async def append_events(self, documents: Sequence[dict[str, Any]]) -> int:
        """Store several events at once, each once per `message_id`; returns how many were new."""

    async def list_events(self, query: EventQuery) -> tuple[list[dict[str, Any]], int]:
        """Events matching the filters, oldest first, with the total count."""

    def iter_events(self, batch_size: int = 5000) -> AsyncIterator[list[StoredEvent]]:
        """Every stored event in store order, in batches (for replay)."""

    async def count_events(self) -> int: ...

    # --- read models: writes (projector) ----------------------------------------------------------
    async def put_job(self, record: JobRecord) -> None: ...

    async def put_metadata(self, record: MetadataRecord) -> None: ...

    async def put_execution(self, record: ExecutionRecord) -> None: ...

    async def delete_execution(self, execution_id: str) -> None: ...

    async def apply_changes(self, changes: ReadModelChanges) -> None:
        """Write every change of a batch together (SQLite: one transaction)."""

    async def put_history(self, record: HistoryRecord) -> None: ...

    async def put_scheduler_state(self, record: SchedulerStateRecord) -> None: ...

    # --- read models: reads ---------------------------------------------------------------------
    async def get_job(self, job_id: str) -> JobRecord | None: ...

    async def get_metadata(self, job_id: str) -> MetadataRecord | None: ...

    async def list_jobs(self) -> list[JobView]:
        """Every job with its metadata, ordered by job_id, in one query."""

    async def get_job_view(self, job_id: str) -> JobView | None: ...

    async def get_execution(self, execution_id: str) -> ExecutionRecord | None: ...

    async def get_executions(self, execution_ids: Collection[str]) -> dict[str, ExecutionRecord]:
        """The executions among `execution_ids` that exist, by id (one query)."""

    async def list_executions(self, query: ExecutionQuery) -> tuple[list[ExecutionRecord], int]:
        """Executions newest first (`timestamp` descending) with the total count matching the filters.

        `is_manual=False` means "not manual"."""

    async def count_executions(self, status: str | None = None) -> int: ...

    async def execution_stats(self, job_id: str) -> ExecutionStats:
        """Counts per status, average duration of successes (2 decimals) and the last execution."""

    async def list_history(self, query: HistoryQuery) -> tuple[list[HistoryRecord], int]:
        """History newest first with the total count."""

    async def list_scheduler_states(self) -> list[SchedulerStateRecord]: ...

    # --- retention -------------------------------------------------------------------------------
    async def prune(self, cutoffs: RetentionCutoffs) -> dict[str, int]:
        """Remove executions (per status), history and stored events older than the cut-offs; returns
        how many of each were removed. Executions still queued or running are never removed."""
