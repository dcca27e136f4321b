"""Seeding the read models in tests, through the store's real write path (`ReadModelWriter.apply_changes`).

Production writes read models only by folding events (the projector, a replay); tests that need a record in
place write it the same way, one change at a time, so no write method exists in the port for tests alone.
"""

from __future__ import annotations

from domain.read_model import ReadModelChanges
from domain.records import ExecutionRecord
from domain.records import HistoryRecord
from domain.records import JobRecord
from domain.records import MetadataRecord
from domain.records import SchedulerStateRecord
from infrastructure.store.port import ReadModelWriter


async def put_job(store: ReadModelWriter, record: JobRecord) -> None:
    """Insert or replace a job."""
    await store.apply_changes(ReadModelChanges(jobs={record.job_id: record}))


async def put_metadata(store: ReadModelWriter, record: MetadataRecord) -> None:
    """Insert or replace a job's metadata."""
    await store.apply_changes(ReadModelChanges(metadata={record.job_id: record}))


async def put_execution(store: ReadModelWriter, record: ExecutionRecord) -> None:
    """Insert or replace an execution."""
    await store.apply_changes(ReadModelChanges(executions={record.execution_id: record}))


async def delete_execution(store: ReadModelWriter, execution_id: str) -> None:
    """Delete an execution (no tombstone: as if it had been removed by hand)."""
    await store.apply_changes(ReadModelChanges(executions={execution_id: None}))


async def put_history(store: ReadModelWriter, record: HistoryRecord) -> None:
    """Insert or replace a history line."""
    await store.apply_changes(ReadModelChanges(history={record.history_id: record}))


async def put_scheduler_state(store: ReadModelWriter, record: SchedulerStateRecord) -> None:
    """Insert or replace a scheduler's liveness record."""
    await store.apply_changes(ReadModelChanges(scheduler_states={record.scheduler_id: record}))


async def get_metadata(store: ReadModelWriter, job_id: str) -> MetadataRecord | None:
    """A job's metadata as the fold reads it (whether or not the job itself exists), or None."""
    view = await store.load_view((), (job_id,))
    return view.metadata.get(job_id)
