"""Collections, indexes, document mapping and aggregation pipelines of the MongoDB store.

Every read model is keyed by `_id` (the record's key); the indexes put each query's equality fields first and
its sort last, so "newest first, skip, limit" is an index walk and its count an index range count. `_id`
closes every sort so that equal timestamps still page deterministically.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from typing import TypeVar

from pymongo import ASCENDING
from pymongo import DESCENDING
from pymongo import IndexModel

from domain.records import Record
from infrastructure.store.documents import as_utc

Pipeline = list[dict[str, Any]]
RecordT = TypeVar("RecordT", bound=Record)

NEWEST_FIRST = [("timestamp", DESCENDING), ("_id", DESCENDING)]
EVENT_ORDER = [("occurred_at", ASCENDING), ("position", ASCENDING)]
COUNTERS = "scheduler_counters"  # {_id: "scheduler_events", value: last position handed out}


def _newest_first_on(*fields: str) -> IndexModel:
    return IndexModel([*((field, ASCENDING) for field in fields), *NEWEST_FIRST])


def _in_event_order_on(*fields: str) -> IndexModel:
    return IndexModel([*((field, ASCENDING) for field in fields), *EVENT_ORDER])


# Every query's equality fields first, then its sort: an index walk serves "newest first, skip, limit".
INDEXES: dict[str, list[IndexModel]] = {
    "scheduler_events": [
        IndexModel([("position", ASCENDING)], unique=True),
        _in_event_order_on(),
        _in_event_order_on("job_id"),
        _in_event_order_on("execution_id"),
        _in_event_order_on("type"),
        _in_event_order_on("actor"),
    ],
    "scheduler_executions": [
        _newest_first_on(),
        _newest_first_on("job_id"),
        _newest_first_on("status"),
        _newest_first_on("is_manual"),
        _newest_first_on("job_id", "status"),
        _newest_first_on("job_id", "is_manual"),
        _newest_first_on("status", "is_manual"),
        _newest_first_on("job_id", "status", "is_manual"),
        IndexModel([("scheduled_time", ASCENDING)]),  # time filters of the list
        IndexModel([("started_at", ASCENDING)]),
    ],
    "scheduler_history": [
        _newest_first_on(),
        _newest_first_on("job_id"),
        _newest_first_on("status"),
    ],
    "scheduler_execution_tombstones": [IndexModel([("deleted_at", ASCENDING)])],
}


def record_from(model: type[RecordT], document: Mapping[str, Any]) -> RecordT:
    """A record from its stored document.

    Drop `_id`, read dates as aware UTC whatever the client's `tz_aware` setting (BSON dates are UTC).
    """
    fields = {
        name: as_utc(value) if isinstance(value, datetime) else value
        for name, value in document.items()
        if name != "_id"
    }
    return model.model_validate(fields)


def document_of(record: Record, key: str) -> dict[str, Any]:
    """The MongoDB document of a record, its key as `_id`."""
    return {"_id": key, **record.model_dump(mode="python")}


def job_views_pipeline(match: dict[str, Any]) -> Pipeline:
    """Jobs with their metadata, ordered by job id: one `$lookup` on `_id` (both keyed by job id)."""
    return [
        {"$match": match},
        {"$sort": {"_id": ASCENDING}},
        {
            "$lookup": {
                "from": "scheduler_metadata",
                "localField": "_id",
                "foreignField": "_id",
                "as": "metadata",
            }
        },
    ]


def execution_stats_pipeline(job_id: str) -> Pipeline:
    """The aggregation pipeline of a job's execution statistics.

    One document: `by_status` [{_id: status, count, average}] and `last` [{status, timestamp,
    execution_time}]. `$avg` skips missing durations. The average is rounded by the caller: the emulation
    used in tests (mongomock) has no `$round`.
    """
    return [
        {"$match": {"job_id": job_id}},
        {"$project": {"status": 1, "timestamp": 1, "execution_time": 1}},
        {
            "$facet": {
                "by_status": [
                    {
                        "$group": {
                            "_id": "$status",
                            "count": {"$sum": 1},
                            "average": {"$avg": "$execution_time"},
                        }
                    }
                ],
                "last": [
                    {"$sort": dict(NEWEST_FIRST)},
                    {"$limit": 1},
                    {"$project": {"_id": 0, "status": 1, "timestamp": 1, "execution_time": 1}},
                ],
            }
        },
    ]
