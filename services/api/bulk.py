"""Bulk actions on executions.

A selection resolved once, then one per-run command each (the same `DeleteExecution` / `MarkExecutionFailed` a
single click sends, so every run has its own history line).

Each run's command id is derived from the operation id and the run id (`command_id`): re-sending an
operation under its id publishes the same commands, and runs already handled no longer match (deleted runs
are gone, failed ones have ended), so nothing is done twice.

Each operation's plan and progress are kept in the bulk-action store (`BulkActionStore`): stored when it
starts, its progress after each confirmed batch. An API process that starts carries on the operations it
left running (`BulkOperations.resume`: those of its producer, `api:<instance id>`), from the first batch
not recorded as sent; that batch's runs are looked up again first and those no longer concerned (deleted,
ended: the stopped process had sent their command) are not sent twice. An operation stopped by the broker
is carried on the same way when it is re-sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from zoneinfo import ZoneInfo

from contracts.commands import DeleteExecution
from contracts.commands import MarkExecutionFailed
from contracts.envelope import Command
from contracts.events import TERMINAL_STATUSES
from domain.records import ExecutionRecord
from domain.same_fields import copied
from infrastructure.bus.port import Bus
from infrastructure.bus.port import BusUnavailable
from infrastructure.store.bulk_actions_port import BulkActionProgress
from infrastructure.store.bulk_actions_port import BulkActionRecord
from infrastructure.store.bulk_actions_port import BulkActionStore
from infrastructure.store.bulk_actions_port import MemoryBulkActions
from infrastructure.store.port import ExecutionQuery
from infrastructure.store.port import ExecutionsReadModel
from infrastructure.store.port import StoreUnavailable
from services.api.bulk_schemas import BulkAction
from services.api.bulk_schemas import BulkProgress
from services.api.bulk_schemas import BulkState

logger = logging.getLogger(__name__)

MAX_BULK_RUNS = 10_000
SELECTION_PAGE = 1000
PUBLISH_BATCH = 100
KEPT_OPERATIONS = 100
MAX_RUNNING_OPERATIONS = 4
BUS_WAIT_S = 0.5
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
    resumed: bool = False
    """carried on from a stored position: the first batch is looked up again before it is sent"""

    @classmethod
    def from_record(cls, record: BulkActionRecord) -> BulkOperation:
        """The operation a stored record describes, to be carried on from its `sent`."""
        return copied(cls, record, targets=list(record.targets), resumed=True)

    def record(self) -> BulkActionRecord:
        """The operation as it is stored."""
        return copied(BulkActionRecord, self, targets=tuple(self.targets))

    def position(self) -> BulkActionProgress:
        """How far it got, as stored after each batch."""
        return BulkActionProgress(self.sent, self.state, self.error, self.finished_at)

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
        return copied(
            BulkProgress,
            self,
            to_send=len(self.targets),
            started_at=self.started_at.astimezone(zone).isoformat(),
            finished_at=self.finished_at.astimezone(zone).isoformat() if self.finished_at else None,
        )


async def still_concerned(
    store: ExecutionsReadModel, operation: BulkOperation, batch: list[str]
) -> list[str]:
    """The runs of `batch` the operation's command still applies to (a resumed batch may have been sent)."""
    found = await store.get_executions(batch)
    return [key for key in batch if key in found and applies_to(operation.action, found[key])]


async def send_all(
    bus: Bus, store: ExecutionsReadModel, actions: BulkActionStore, operation: BulkOperation
) -> None:
    """Publish the operation's commands in confirmed batches.

    From `sent` on, recording the progress after each batch; a broker failure stops it (`failed`).
    """
    try:
        for start in range(operation.sent, len(operation.targets), PUBLISH_BATCH):
            batch = operation.targets[start : start + PUBLISH_BATCH]
            if operation.resumed:
                batch, operation.resumed = await still_concerned(store, operation, batch), False
            if batch:
                await bus.publish_many([operation.command(execution_id) for execution_id in batch])
            operation.sent = min(start + PUBLISH_BATCH, len(operation.targets))
            await actions.record_progress(operation.operation_id, operation.position())
        operation.state = "done"
    except (BusUnavailable, StoreUnavailable) as error:
        operation.state, operation.error = "failed", str(error) or "broker unavailable"
        logger.warning("bulk %s stopped after %d commands: %s", operation.operation_id, operation.sent, error)
    operation.finished_at = datetime.now(UTC)
    with contextlib.suppress(StoreUnavailable):
        await actions.record_progress(operation.operation_id, operation.position())
        await actions.prune(KEPT_OPERATIONS)


async def bus_connected(bus: Bus) -> None:
    """Return once the bus is connected (an API starting may still be connecting to its broker)."""
    while not bus.connected:  # noqa: ASYNC110 (the bus port offers no event to wait on)
        await asyncio.sleep(BUS_WAIT_S)


@dataclass
class BulkOperations:
    """The bulk operations of this API process.

    The bulk operations: kept in `actions` (the newest `KEPT_OPERATIONS` finished ones), at most
    `MAX_RUNNING_OPERATIONS` started at once by this process.
    """

    actions: BulkActionStore = field(default_factory=MemoryBulkActions)
    running: dict[str, BulkOperation] = field(default_factory=dict)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    async def get(self, operation_id: str) -> BulkOperation | None:
        """The operation: this process's own while it runs it, else as stored."""
        if operation_id in self.running:
            return self.running[operation_id]
        record = await self.actions.get(operation_id)
        if record is None:
            return None
        operation = BulkOperation.from_record(record)
        operation.resumed = False
        return operation

    async def start(self, bus: Bus, store: ExecutionsReadModel, operation: BulkOperation) -> None:
        """Store the operation and publish its commands in the background."""
        if len(self.running) >= MAX_RUNNING_OPERATIONS:
            raise TooManyOperations
        await self.actions.put(operation.record())
        self._run(bus, store, operation, wait_for_bus=False)

    async def carry_on(self, bus: Bus, store: ExecutionsReadModel, operation: BulkOperation) -> None:
        """Carry on a stored operation that stopped (`failed`) from where it stopped."""
        if len(self.running) >= MAX_RUNNING_OPERATIONS:
            raise TooManyOperations
        operation.state, operation.error, operation.finished_at, operation.resumed = (
            "running",
            None,
            None,
            True,
        )
        await self.actions.record_progress(operation.operation_id, operation.position())
        self._run(bus, store, operation, wait_for_bus=False)

    async def resume(self, bus: Bus, store: ExecutionsReadModel, producer: str) -> int:
        """Carry on the operations this API instance left running; how many.

        Those it left running when it stopped; this instance is `producer` (`api:<instance id>`, stable across
        its restarts). Another instance's operations are left to it: it may be running them.
        """
        unfinished = [
            record
            for record in await self.actions.unfinished()
            if record.producer == producer and record.operation_id not in self.running
        ]
        for record in unfinished:
            logger.info(
                "bulk %s carried on from %d of %d", record.operation_id, record.sent, len(record.targets)
            )
            self._run(bus, store, BulkOperation.from_record(record), wait_for_bus=True)
        return len(unfinished)

    def _run(
        self, bus: Bus, store: ExecutionsReadModel, operation: BulkOperation, *, wait_for_bus: bool
    ) -> None:
        self.running[operation.operation_id] = operation

        async def run() -> None:
            try:
                if wait_for_bus:
                    await bus_connected(bus)
                await send_all(bus, store, self.actions, operation)
            finally:
                self.running.pop(operation.operation_id, None)

        task = asyncio.create_task(run(), name=f"bulk {operation.operation_id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def close(self) -> None:
        """Stop every running operation (the process is ending: the next one carries them on)."""
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
