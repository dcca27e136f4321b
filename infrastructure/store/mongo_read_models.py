"""The read-model collections of the MongoDB store by name: the live ones or those a replay fills."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from pymongo import DeleteOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from domain.read_model import ReadModelChanges, ReadModelView
from domain.records import ExecutionRecord, ExecutionTombstone, JobRecord, MetadataRecord, Record
from infrastructure.store.documents import ACTIVE_STATUSES
from infrastructure.store.mongo_schema import document_of, record_from
from infrastructure.store.port import RetentionCutoffs
from infrastructure.store.read_model_names import ReadModelNames

Document = dict[str, Any]


def upsert(key: str, record: Record) -> UpdateOne:
    """Every field of the record set (as a replacement would: records always carry all their fields)."""
    values = {name: value for name, value in document_of(record, key).items() if name != "_id"}
    return UpdateOne({"_id": key}, {"$set": values}, upsert=True)


def _upserts(records: Mapping[str, Record]) -> list[Any]:
    return [upsert(key, record) for key, record in records.items()]


async def load_view(
    database: AsyncDatabase[Document],
    names: ReadModelNames,
    execution_ids: Collection[str],
    job_ids: Collection[str],
) -> ReadModelView:
    view = ReadModelView()

    async def found(collection: str, keys: Collection[str]) -> list[Document]:
        if not keys:
            return []
        return await database[collection].find({"_id": {"$in": list(keys)}}).to_list()

    for document in await found(names.executions, execution_ids):
        record = record_from(ExecutionRecord, document)
        view.executions[record.execution_id] = record
    for document in await found(names.tombstones, execution_ids):
        tombstone = record_from(ExecutionTombstone, document)
        view.executions[tombstone.execution_id] = tombstone
    for document in await found(names.jobs, job_ids):
        job = record_from(JobRecord, document)
        view.jobs[job.job_id] = job
    for document in await found(names.metadata, job_ids):
        metadata = record_from(MetadataRecord, document)
        view.metadata[metadata.job_id] = metadata
    return view


async def apply_changes(
    database: AsyncDatabase[Document], names: ReadModelNames, changes: ReadModelChanges, *, with_state: bool
) -> None:
    """One bulk write per collection (no multi-collection transaction on a standalone server; each write is
    idempotent, so a batch half-applied before a crash is completed on redelivery). Tombstones first: once
    one exists, a crash between the two writes cannot leave a deleted execution behind for good."""
    executions: list[Any] = [
        upsert(key, record) if record is not None else DeleteOne({"_id": key})
        for key, record in changes.executions.items()
    ]
    # `$setOnInsert`: a tombstone already there (a redelivery) stays as it is; the first deletion stands.
    tombstones = [
        UpdateOne({"_id": key}, {"$setOnInsert": tombstone.model_dump(mode="python")}, upsert=True)
        for key, tombstone in changes.tombstones.items()
    ]
    if tombstones:
        await database[names.tombstones].bulk_write(tombstones, ordered=False)
    writes: list[tuple[str, list[Any]]] = [
        (names.executions, executions),
        (names.jobs, _upserts(changes.jobs)),
        (names.metadata, _upserts(changes.metadata)),
        (names.history, _upserts(changes.history)),
    ]
    if with_state:
        writes.append(("scheduler_state", _upserts(changes.scheduler_states)))
    for collection, operations in writes:
        if operations:
            await database[collection].bulk_write(operations, ordered=False)


async def prune_read_models(
    database: AsyncDatabase[Document], names: ReadModelNames, cutoffs: RetentionCutoffs
) -> dict[str, int]:
    removed = {"executions": 0, "history": 0, "tombstones": 0}
    for status, cutoff in cutoffs.executions.items():
        if status in ACTIVE_STATUSES:
            continue
        result = await database[names.executions].delete_many(
            {"status": status, "timestamp": {"$lt": cutoff}}
        )
        removed["executions"] += result.deleted_count
    if cutoffs.history is not None:
        result = await database[names.history].delete_many({"timestamp": {"$lt": cutoffs.history}})
        removed["history"] = result.deleted_count
        result = await database[names.tombstones].delete_many({"deleted_at": {"$lt": cutoffs.history}})
        removed["tombstones"] = result.deleted_count
    return removed
