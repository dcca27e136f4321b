"""The read-model collections of the MongoDB store by name: the live ones or those a replay fills."""

from __future__ import annotations

from collections.abc import Collection
from collections.abc import Mapping
from typing import Any

from pymongo import DeleteOne
from pymongo import ReplaceOne
from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from domain.read_model import ReadModelChanges
from domain.read_model import ReadModelView
from domain.records import BackfillRecord
from domain.records import ExecutionRecord
from domain.records import ExecutionTombstone
from domain.records import JobRecord
from domain.records import MetadataRecord
from domain.records import Record
from infrastructure.store import mongo_counts
from infrastructure.store.mongo_counts import counts_collection
from infrastructure.store.mongo_schema import RecordT
from infrastructure.store.mongo_schema import document_of
from infrastructure.store.mongo_schema import record_from
from infrastructure.store.port import RetentionCutoffs
from infrastructure.store.read_model_names import ReadModelNames

Document = dict[str, Any]
Session = AsyncClientSession | None


def replacement(key: str, record: Record) -> ReplaceOne[Document]:
    """The whole document replaced (never merged: a field a record no longer has does not linger)."""
    return ReplaceOne({"_id": key}, document_of(record, key), upsert=True)


def _replacements(records: Mapping[str, Record]) -> list[Any]:
    return [replacement(key, record) for key, record in records.items()]


async def load_view(
    database: AsyncDatabase[Document],
    names: ReadModelNames,
    execution_ids: Collection[str],
    job_ids: Collection[str],
    backfill_ids: Collection[str] = (),
) -> ReadModelView:
    """The stored records and tombstones a fold needs.

    The records and tombstones of these executions, jobs and backfills from the collections `names`
    gives.
    """

    async def found(model: type[RecordT], collection: str, keys: Collection[str]) -> list[RecordT]:
        if not keys:
            return []
        documents = await database[collection].find({"_id": {"$in": list(keys)}}).to_list()
        return [record_from(model, document) for document in documents]

    return ReadModelView.of(
        await found(ExecutionRecord, names.executions, execution_ids),
        await found(ExecutionTombstone, names.tombstones, execution_ids),
        await found(JobRecord, names.jobs, job_ids),
        await found(MetadataRecord, names.metadata, job_ids),
        await found(BackfillRecord, names.backfills, backfill_ids),
    )


async def apply_changes(
    database: AsyncDatabase[Document],
    names: ReadModelNames,
    changes: ReadModelChanges,
    *,
    with_state: bool,
    session: Session = None,
) -> None:
    """Write a batch's changes to the read models.

    One bulk write per collection, and the counters' changes; in one transaction when `session` is in
    one (a replica set), else each write on its own (a standalone server: idempotent writes, completed on
    redelivery; counters may then drift after a crash halfway, until the next replay). Tombstones first:
    once one exists, a crash between the writes cannot leave a deleted execution behind for good.
    """
    deltas = await mongo_counts.record_deltas(
        database, names.executions, "executions", changes.executions, session
    )
    deltas.update(
        await mongo_counts.record_deltas(database, names.history, "history", changes.history, session)
    )
    executions: list[Any] = [
        replacement(key, record) if record is not None else DeleteOne({"_id": key})
        for key, record in changes.executions.items()
    ]
    # `$setOnInsert`: a tombstone already there (a redelivery) stays as it is; the first deletion stands.
    tombstones = [
        UpdateOne({"_id": key}, {"$setOnInsert": tombstone.model_dump(mode="python")}, upsert=True)
        for key, tombstone in changes.tombstones.items()
    ]
    writes: list[tuple[str, list[Any]]] = [
        (names.tombstones, tombstones),
        (names.executions, executions),
        (names.jobs, _replacements(changes.jobs)),
        (names.metadata, _replacements(changes.metadata)),
        (names.history, _replacements(changes.history)),
        (names.backfills, _replacements(changes.backfills)),
    ]
    if with_state:
        writes.append(("scheduler_state", _replacements(changes.scheduler_states)))
    for collection, operations in writes:
        if operations:
            await database[collection].bulk_write(operations, ordered=False, session=session)
    await mongo_counts.write_deltas(database, counts_collection(names), deltas, session)


async def prune_read_models(
    database: AsyncDatabase[Document],
    names: ReadModelNames,
    cutoffs: RetentionCutoffs,
    client: Any = None,
    transactions: bool = False,
) -> dict[str, int]:
    """Delete what retention removes from the read models.

    Retention, in chunks of `mongo_counts.CHUNK` documents, each deleted with its counters' change
    (one transaction per chunk on a replica set: no transaction grows with the backlog). An execution ages
    from its end: the later of its creation and its `finished_at` (none for missed or skipped records).
    """
    removed = {"executions": 0, "history": 0, "tombstones": 0}
    counts = counts_collection(names)
    for status, cutoff in cutoffs.removable_executions.items():
        match = {  # aged from its end: created and (when it has one) finished before the cut-off
            "status": status,
            "timestamp": {"$lt": cutoff},
            "$or": [{"finished_at": None}, {"finished_at": {"$lt": cutoff}}],
        }
        removed["executions"] += await mongo_counts.delete_counted(
            client, transactions, database, names.executions, "executions", match, counts
        )
    if cutoffs.history is not None:
        match = {"timestamp": {"$lt": cutoffs.history}}
        removed["history"] = await mongo_counts.delete_counted(
            client, transactions, database, names.history, "history", match, counts
        )
        result = await database[names.tombstones].delete_many({"deleted_at": {"$lt": cutoffs.history}})
        removed["tombstones"] = result.deleted_count
    return removed
