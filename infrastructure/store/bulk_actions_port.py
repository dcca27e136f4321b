"""The bulk-action store: each bulk action's plan and progress, kept so that an API restart carries it on.

A bulk action (`services.api.bulk`) is stored once when it starts, with its whole plan (the runs it acts
on, in order, at most 10,000) and then its progress after each confirmed batch of commands: how many of
the plan's runs were sent, its state, why it stopped. An API process that starts reads the unfinished ones
(`unfinished`) and continues each from `sent`. Only the newest `keep` finished actions are kept (`prune`).
Adapters: `sqlite_bulk_actions.SQLiteBulkActions` (table `scheduler_bulk_actions`),
`mongo_bulk_actions.MongoBulkActions` (collection `scheduler_bulk_actions`) and `MemoryBulkActions`
(tests, and an API given no store: its actions then live as long as its process).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from typing import Protocol

from infrastructure.store.lifecycle_port import Lifecycle

BulkActionKind = Literal["delete", "mark_failed"]
BulkActionState = Literal["running", "done", "failed"]


@dataclass(frozen=True)
class BulkActionRecord:
    """One bulk action: who asked what of which runs, and how far it got."""

    operation_id: str
    action: BulkActionKind
    actor: str
    producer: str
    reason: str
    selected: int
    missing: int
    skipped: int
    targets: tuple[str, ...]
    started_at: datetime
    sent: int = 0
    state: BulkActionState = "running"
    error: str | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True)
class BulkActionProgress:
    """What changes while an action runs."""

    sent: int
    state: BulkActionState
    error: str | None = None
    finished_at: datetime | None = None


class BulkActionStore(Lifecycle, Protocol):
    """Where bulk actions are kept (see the module's text)."""

    async def put(self, record: BulkActionRecord) -> None:
        """Store a new action, or replace the one of the same id (its plan renewed)."""

    async def get(self, operation_id: str) -> BulkActionRecord | None:
        """The action of this id, if kept."""

    async def record_progress(self, operation_id: str, progress: BulkActionProgress) -> None:
        """Store how far the action got."""

    async def unfinished(self) -> list[BulkActionRecord]:
        """The actions still running (an API that stopped left them so), oldest first."""

    async def prune(self, keep: int) -> int:
        """Forget the finished actions beyond the newest `keep`; returns how many."""


class MemoryBulkActions:
    """Bulk actions in a dict (one process)."""

    def __init__(self) -> None:
        """An empty store."""
        self._records: dict[str, BulkActionRecord] = {}

    async def open(self) -> None:
        """Nothing to open."""

    async def close(self) -> None:
        """Nothing to close."""

    async def put(self, record: BulkActionRecord) -> None:
        """Keep the record."""
        self._records.pop(record.operation_id, None)
        self._records[record.operation_id] = record

    async def get(self, operation_id: str) -> BulkActionRecord | None:
        """The record, if kept."""
        return self._records.get(operation_id)

    async def record_progress(self, operation_id: str, progress: BulkActionProgress) -> None:
        """Update the record's progress."""
        record = self._records.get(operation_id)
        if record is not None:
            self._records[operation_id] = dataclasses.replace(record, **dataclasses.asdict(progress))

    async def unfinished(self) -> list[BulkActionRecord]:
        """The running records, oldest first."""
        running = [record for record in self._records.values() if record.state == "running"]
        return sorted(running, key=lambda record: record.started_at)

    async def prune(self, keep: int) -> int:
        """Drop the finished records beyond the newest `keep`."""
        finished = sorted(
            (record for record in self._records.values() if record.state != "running"),
            key=lambda record: record.started_at,
            reverse=True,
        )
        for record in finished[keep:]:
            del self._records[record.operation_id]
        return len(finished[keep:])
