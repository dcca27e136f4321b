"""Totals kept as counters, so no list page counts its collection.

One small collection per set of read models (`scheduler_executions_counts`, and `..._rebuild_counts` for a
replay) holds one document per group: executions per (job, status, manual), history per (job, status),
events per (type, job, actor). A list's total is the sum of the groups matching its filters (a few hundred
documents at most, whatever the size of the collections). The counters change in the same transaction as
the records (on a replica set); a marker (`_id: "ready"`) says they were built, and `ensure_counts` builds
them once from the collections when it is missing (an existing deployment's first start).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

from pymongo import DeleteMany
from pymongo import UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from domain.records import Record
from infrastructure.store.mongo_client import in_transaction
from infrastructure.store.read_model_names import ReadModelNames

Document = dict[str, Any]
Session = AsyncClientSession | None
Group = tuple[str, str | None, str | None, Any]  # (kind, job_id, status or type, manual or actor)
READY = "ready"
# kind -> the fields of its group after job_id (equality filters of the list queries)
GROUP_FIELDS = {
    "executions": ("status", "is_manual"),
    "history": ("status", None),
    "events": ("type", "actor"),
}


EVENT_COUNTS = "scheduler_events_counts"  # the event store's: never rebuilt nor swapped


def counts_collection(names: ReadModelNames) -> str:
    """The read models' counters: swapped in with them after a replay."""
    return f"{names.executions}_counts"


def group_of(kind: str, values: Mapping[str, Any]) -> Group:
    """The counter group a record belongs to: kind, job, then status (and manual, or type and actor)."""
    second, third = GROUP_FIELDS[kind]
    if kind == "executions":
        return kind, values.get("job_id"), values.get("status"), values.get("is_manual") is True
    return kind, values.get("job_id"), values.get(second), values.get(third) if third else None


def _group_document(group: Group) -> Document:
    kind, job_id, second, third = group
    fields: Document = {"kind": kind, "job_id": job_id, GROUP_FIELDS[kind][0]: second}
    if (name := GROUP_FIELDS[kind][1]) is not None:
        fields[name] = third
    return fields


def _group_id(group: Group) -> str:
    return json.dumps(group, separators=(",", ":"))


async def write_deltas(
    database: AsyncDatabase[Document], counts: str, deltas: Counter[Group], session: Session
) -> None:
    """Add the deltas to their counter documents in `session` (created at 0 when missing)."""
    changed = {group: delta for group, delta in deltas.items() if delta}
    if not changed:
        return
    operations: list[Any] = [
        UpdateOne(
            {"_id": _group_id(group)},
            {"$inc": {"n": delta}, "$setOnInsert": _group_document(group)},
            upsert=True,
        )
        for group, delta in changed.items()
    ]
    emptied = [_group_id(group) for group, delta in changed.items() if delta < 0]
    if emptied:  # a group down to nothing goes (live and rebuilt counters compare equal)
        operations.append(DeleteMany({"_id": {"$in": emptied}, "n": {"$lte": 0}}))
    await database[counts].bulk_write(operations, ordered=True, session=session)


async def record_deltas(
    database: AsyncDatabase[Document],
    collection: str,
    kind: str,
    records: Mapping[str, Record | None],
    session: Session,
) -> Counter[Group]:
    """How the groups change when `records` replace (None: delete) the stored ones with their keys."""
    deltas: Counter[Group] = Counter()
    if not records:
        return deltas
    fields = {"job_id": True, **{name: True for name in GROUP_FIELDS[kind] if name}}
    cursor = database[collection].find({"_id": {"$in": list(records)}}, fields, session=session)
    for stored in await cursor.to_list():
        deltas[group_of(kind, stored)] -= 1
    for record in records.values():
        if record is not None:
            deltas[group_of(kind, vars(record))] += 1
    return deltas


CHUNK = 5_000  # documents deleted (and uncounted) per transaction by retention


async def delete_counted(
    client: Any,
    transactions: bool,
    database: AsyncDatabase[Document],
    collection: str,
    kind: str,
    match: Document,
    counts: str,
) -> int:
    """Delete the documents matching `match` and take them off the counters, `CHUNK` at a time; how many."""
    fields = {"job_id": True, **{name: True for name in GROUP_FIELDS[kind] if name}}

    async def chunk(session: Session) -> int:
        cursor = database[collection].find(match, fields, session=session).limit(CHUNK)
        doomed = await cursor.to_list()
        if doomed:
            keys = [document["_id"] for document in doomed]
            await database[collection].delete_many({"_id": {"$in": keys}}, session=session)
            deltas: Counter[Group] = Counter()
            for document in doomed:
                deltas[group_of(kind, document)] -= 1
            await write_deltas(database, counts, deltas, session)
        return len(doomed)

    removed = 0
    while True:
        deleted: int = await in_transaction(client, transactions, chunk)
        removed += deleted
        if deleted < CHUNK:
            return removed


async def _groups(database: AsyncDatabase[Document], collection: str, kind: str) -> Counter[Group]:
    """How many documents of `collection` each group has (one aggregation over it)."""
    fields = ("job_id", *(name for name in GROUP_FIELDS[kind] if name))
    pipeline = [{"$group": {"_id": {name: f"${name}" for name in fields}, "n": {"$sum": 1}}}]
    cursor = await database[collection].aggregate(pipeline)
    groups: Counter[Group] = Counter()
    for row in await cursor.to_list():
        groups[group_of(kind, row["_id"])] += int(row["n"])
    return groups


async def total(
    database: AsyncDatabase[Document], counts: str, kind: str, conditions: Mapping[str, Any]
) -> int:
    """The number of `kind` documents matching equality `conditions` on the group fields."""
    pipeline = [
        {"$match": {"kind": kind, **conditions}},
        {"$group": {"_id": None, "n": {"$sum": "$n"}}},  # summed by the server: one document back
    ]
    cursor = await database[counts].aggregate(pipeline)
    rows = await cursor.to_list()
    return int(rows[0]["n"]) if rows else 0


async def ensure_counts(database: AsyncDatabase[Document], counts: str, sources: Mapping[str, str]) -> bool:
    """Build the counters unless built already; whether this call built them.

    The counters `counts` are built from `sources` (kind -> collection), in one pass over each collection,
    once. The marker is inserted first: of several processes starting at once, one builds.
    """
    try:
        await database[counts].insert_one({"_id": READY, "kind": READY})
    except DuplicateKeyError:
        return False
    deltas: Counter[Group] = Counter()
    for kind, collection in sources.items():
        deltas.update(await _groups(database, collection, kind))
    await write_deltas(database, counts, deltas, None)
    return True
