"""Read-model queries of the MongoDB store over executions.

The time-filtered list's conditions and the overview's aggregates (counts per window and status, duration
percentiles, the newest run of each job).

Counts are grouped by the server (one document per window and status). Percentiles: the server sorts and
groups each job's durations in the window; the nearest ranks are picked here (`$percentile` needs MongoDB 7
and the emulation the tests use has none).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from infrastructure.store.port import ExecutionQuery
from infrastructure.store.port import JobDurations

Document = dict[str, Any]
Pipeline = list[Document]
FIELDS = {"scheduled": "scheduled_time", "started": "started_at"}
PERCENTILES = (50, 90, 95)


def time_conditions(query: ExecutionQuery) -> Document:
    """The range condition of the query's time filter (empty without one)."""
    bounds: Document = {}
    if query.since is not None:
        bounds["$gte"] = query.since
    if query.until is not None:
        bounds["$lt"] = query.until
    return {FIELDS[query.time_field]: bounds} if bounds else {}


def window_counts_pipeline(boundaries: Sequence[datetime]) -> Pipeline:
    """One document per (window index, status): the index is how many inner boundaries the run passed."""
    window = {"$sum": [{"$cond": [{"$gte": ["$timestamp", moment]}, 1, 0]} for moment in boundaries[1:-1]]}
    return [
        {"$match": {"timestamp": {"$gte": boundaries[0], "$lt": boundaries[-1]}}},
        {"$group": {"_id": {"window": window, "status": "$status"}, "n": {"$sum": 1}}},
    ]


def window_counts(documents: Sequence[Document], windows: int) -> list[dict[str, int]]:
    """Per window, the count of executions by status, from the aggregation's documents."""
    counts: list[dict[str, int]] = [{} for _ in range(windows)]
    for document in documents:
        key = document["_id"]
        counts[int(key["window"])][str(key["status"])] = int(document["n"])
    return counts


def job_durations_pipeline(since: datetime, until: datetime) -> Pipeline:
    """The aggregation of the durations of executions created in `[since, until)`, per job."""
    return [
        {"$match": {"timestamp": {"$gte": since, "$lt": until}, "execution_time": {"$ne": None}}},
        {"$sort": {"job_id": 1, "execution_time": 1}},
        {"$group": {"_id": "$job_id", "durations": {"$push": "$execution_time"}}},
        {"$sort": {"_id": 1}},
    ]


def nearest_rank(ordered: Sequence[float], percent: int) -> float:
    """The smallest value with at least `percent` % of the values at or below it."""
    return ordered[max(1, math.ceil(len(ordered) * percent / 100)) - 1]


def job_durations(documents: Sequence[Document]) -> list[JobDurations]:
    """Per job, its runs and their duration percentiles, longest and mean (seconds)."""
    found: list[JobDurations] = []
    for document in documents:
        ordered = sorted(float(value) for value in document["durations"] if value is not None)
        if not ordered:
            continue
        p50, p90, p95 = (nearest_rank(ordered, percent) for percent in PERCENTILES)
        mean = sum(ordered) / len(ordered)
        found.append(JobDurations(str(document["_id"]), len(ordered), p50, p90, p95, ordered[-1], mean))
    return found
