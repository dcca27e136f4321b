"""Bulk actions on executions: a selection resolved once, then one per-run command each (the same
`DeleteExecution` / `MarkExecutionFailed` a single click sends, so every run has its own history line).

Each run's command id is derived from the operation id and the run id (`command_id`): re-sending an
operation under its id publishes the same commands, and runs already handled no longer match (deleted runs
are gone, failed ones have ended), so nothing is done twice. Progress lives in this process
(`BulkOperations`, bounded); after a restart the client re-sends the operation to carry it on.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from contracts.commands import DeleteExecution, MarkExecutionFailed
from contracts.envelope import Command
from contracts.events import TERMINAL_STATUSES
from domain.records import ExecutionRecord
from infrastructure.bus.port import Bus, BusUnavailable
from infrastructure.store.port import ExecutionQuery, ExecutionsReadModel
from services.api.bulk_schemas import BulkAction, BulkProgress, BulkState

logger = logging.getLogger(__name__)

MAX_BULK_RUNS = 10_000
SELECTION_PAGE = 1000
PUBLISH_BATCH = 100
KEPT_OPERATIONS = 100
MAX_RUNNING_OPERATIONS = 4
ACTIVE = frozenset({"queued", "running"})


class SelectionTooLarge(Exception):
    """More runs match than one bulk operation may touch."""

    def __init__(self, total: int) -> None:
        super().__init__(total)
        self.total = total


class TooManyOperations(Exception):
    """Every slot for a running bulk operation is taken."""


def command_id(operation_id: str, execution_id: str) -> str:
    """The deterministic id of the command an operation sends for one run."""
    return hashlib.sha256(f"bulk:{operation_id}:{execution_id}".encode()).hexdigest()[:32]


def new_operation_id() -> str:
    """A fresh id (32 hex digits) for a bulk operation the client did not name."""
    return uuid.uuid4().hex


async def runs_by_ids(
    store: ExecutionsReadModel, execution_ids: Sequence[str]
) -> tuple[list[ExecutionRecord], int]:
    """The runs among `execution_ids` (duplicates once) and how many ids name no run."""
    unique = list(dict.fromkeys(execution_ids))
    found = await store.get_executions(unique)
    return [found[key] for key in unique if key in found], sum(1 for key in unique if key not in found)


async def runs_matching(store: ExecutionsReadModel, query: ExecutionQuery) -> list[ExecutionRecord]:
    """Every run matching `query`'s filters; `SelectionTooLarge` over `MAX_BULK_RUNS`."""
    records: list[ExecutionRecord] = []
    offset = 0
    while True:
        page_query = ExecutionQuery(
            query.job_id,
            query.status,
            query.is_manual,
            SELECTION_PAGE,
            offset,
            query.since,
            query.until,
            query.time_field,
        )
        page, total = await store.list_executions(page_query)
        if total > MAX_BULK_RUNS:
            raise SelectionTooLarge(total)
        records.extend(page)
        offset += SELECTION_PAGE
        if not page or offset >= total:
            return list({record.execution_id: record for record in records}.values())


def applies_to(action: BulkAction, record: ExecutionRecord) -> bool:
    """Delete takes finished runs only; mark failed takes queued or running ones only."""
    if action == "delete":
        return record.status not in ACTIVE
    return record.status not in TERMINAL_STATUSES


@dataclass
class BulkOperation:
    """One bulk operation's plan and progress."""

    operation_id: str
    action: BulkAction
    actor: str
    producer: str
    reason: str
    selected: int
    missing: int
    targets: list[str]
    started_at: datetime
    skipped: int = 0
    sent: int = 0
    state: BulkState = "running"
    error: str | None = None
    finished_at: datetime | None = None

    def command(self, execution_id: str) -> Command:
        """The per-run command, with its deterministic id."""
        fields = {
            "message_id": command_id(self.operation_id, execution_id),
            "execution_id": execution_id,
            "actor": self.actor,
            "producer": self.producer,
            "correlation_id": self.operation_id,
        }
        if self.action == "delete":
            return DeleteExecution(**fields)
        return MarkExecutionFailed(reason=self.reason, **fields)

    def progress(self, zone: ZoneInfo) -> BulkProgress:
        """Where the operation stands (counts, state), times in `zone`."""
        return BulkProgress(
            operation_id=self.operation_id,
            action=self.action,
            state=self.state,
            selected=self.selected,
            skipped=self.skipped,
            missing=self.missing,
            sent=self.sent,
            to_send=len(self.targets),
            error=self.error,
            started_at=self.started_at.astimezone(zone).isoformat(),
            finished_at=self.finished_at.astimezone(zone).isoformat() if self.finished_at else None,
        )


async def send_all(bus: Bus, operation: BulkOperation) -> None:
    """Publish the operation's commands in confirmed batches; a broker failure stops it (`failed`)."""
    try:
        for start in range(0, len(operation.targets), PUBLISH_BATCH):
            batch = operation.targets[start : start + PUBLISH_BATCH]
            await bus.publish_many([operation.command(execution_id) for execution_id in batch])
            operation.sent += len(batch)
        operation.state = "done"
    except BusUnavailable as error:
        operation.state, operation.error = "failed", str(error) or "broker unavailable"
        logger.warning("bulk %s stopped after %d commands: %s", operation.operation_id, operation.sent, error)
    finally:
        operation.finished_at = datetime.now(UTC)


@dataclass
class BulkOperations:
    """The operations of this process: the newest `KEPT_OPERATIONS`, at most `MAX_RUNNING_OPERATIONS`
    running at once."""

    operations: OrderedDict[str, BulkOperation] = field(default_factory=OrderedDict)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def get(self, operation_id: str) -> BulkOperation | None:
        """The operation with this id; None if unknown to this process (or forgotten)."""
        return self.operations.get(operation_id)

    def running(self) -> int:
        """How many operations are still running."""
        return sum(1 for operation in self.operations.values() if operation.state == "running")

    def start(self, bus: Bus, operation: BulkOperation) -> None:
        """Keep the operation and publish its commands in the background."""
        if self.running() >= MAX_RUNNING_OPERATIONS:
            raise TooManyOperations
        self.operations[operation.operation_id] = operation
        self.operations.move_to_end(operation.operation_id)
        while len(self.operations) > KEPT_OPERATIONS:
            oldest = next(iter(self.operations))
            if self.operations[oldest].state == "running":
                break
            del self.operations[oldest]
        task = asyncio.create_task(send_all(bus, operation), name=f"bulk {operation.operation_id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def close(self) -> None:
        """Stop every running operation (the process is ending: re-sending carries them on)."""
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
