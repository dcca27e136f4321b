"""Read-model queries of the SQLite store over executions: the filtered list and the overview's aggregates.

Time filters compare `julianday()` of the ISO moment kept in the document (any offset, parsed by SQLite), an
expression the schema indexes (`ix_executions_scheduled_at`, `ix_executions_started_at`), so a window is an
index range. Aggregates (counts per window and status, duration percentiles) are computed by SQLite: what
crosses into Python is one row per group, whatever the number of executions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from domain.records import as_utc_key
from infrastructure.store.port import ExecutionQuery
from infrastructure.store.port import JobDurations
from infrastructure.store.port import TimeField

# Index expressions: a query must spell them exactly so for the planner to use the indexes.
MOMENT = {
    "scheduled": "julianday(json_extract(document, '$.scheduled_time'))",
    "started": "julianday(json_extract(document, '$.started_at'))",
}
NEWEST_FIRST = "timestamp DESC, rowid DESC"
PERCENTILES = (50, 90, 95)


def _moment(field: TimeField) -> str:
    return MOMENT[field]


def execution_filters(query: ExecutionQuery) -> tuple[str, list[object]]:
    """The WHERE clause (empty without filters) and its parameters."""
    conditions: list[str] = []
    parameters: list[object] = []
    for condition, value in (
        ("job_id = ?", query.job_id),
        ("status = ?", query.status),
        ("is_manual = ?", None if query.is_manual is None else int(query.is_manual)),
    ):
        if value is not None:
            conditions.append(condition)
            parameters.append(value)
    moment = _moment(query.time_field)
    if query.since is not None:
        conditions.append(f"{moment} >= julianday(?)")
        parameters.append(query.since.isoformat())
    if query.until is not None:
        conditions.append(f"{moment} < julianday(?)")
        parameters.append(query.until.isoformat())
    where = " WHERE " + " AND ".join(conditions) if conditions else ""
    return where, parameters


def page_sql(where: str) -> str:
    """The query of one page of executions, newest first, under the `where` clause given."""
    return (
        f"SELECT execution_id, document FROM scheduler_executions{where}"
        f" ORDER BY {NEWEST_FIRST} LIMIT ? OFFSET ?"
    )


def total_sql(query: ExecutionQuery, where: str) -> str:
    """The SQL of the list's total.

    Without a time range the total comes from the trigger-kept counts (equality filters only); with one,
    SQLite counts the index range.
    """
    if query.has_time_range:
        return f"SELECT COUNT(*) FROM scheduler_executions{where}"
    return f"SELECT COALESCE(SUM(n), 0) FROM scheduler_execution_counts{where}"


def window_counts_sql(boundaries: Sequence[datetime]) -> tuple[str, list[object]]:
    """Counts per (window index, status): the index is how many inner boundaries the timestamp has passed."""
    keys = [as_utc_key(moment) for moment in boundaries]
    inner = " + ".join("(timestamp >= ?)" for _ in keys[1:-1]) or "0"
    sql = (
        f"SELECT {inner} AS window, status, COUNT(*) FROM scheduler_executions"
        " WHERE timestamp >= ? AND timestamp < ? GROUP BY window, status"
    )
    return sql, [*keys[1:-1], keys[0], keys[-1]]


def window_counts(rows: Sequence[Sequence[Any]], windows: int) -> list[dict[str, int]]:
    """Per window, the count of executions by status, from the query's rows."""
    counts: list[dict[str, int]] = [{} for _ in range(windows)]
    for window, status, number in rows:
        counts[int(window)][str(status)] = int(number)
    return counts


def _rank(percent: int) -> str:
    """The nearest rank of a percentile among `n` ordered values: ceil(n * p / 100), in integers."""
    return f"(n * {percent} + 99) / 100"


# Window functions order each job's durations once; the outer query picks the ranks.
RANKED = ", ".join(f"MAX(CASE WHEN position = {_rank(p)} THEN duration END)" for p in PERCENTILES)
JOB_DURATIONS = f"""
SELECT job_id, COUNT(*), {RANKED}, MAX(duration), AVG(duration)
FROM (
    SELECT job_id, execution_time AS duration,
           ROW_NUMBER() OVER (PARTITION BY job_id ORDER BY execution_time) AS position,
           COUNT(*) OVER (PARTITION BY job_id) AS n
    FROM scheduler_executions
    WHERE timestamp >= ? AND timestamp < ? AND execution_time IS NOT NULL
)
GROUP BY job_id ORDER BY job_id
"""


def job_durations_parameters(since: datetime, until: datetime) -> list[object]:
    """The query parameters of `[since, until)`, as the table's UTC keys."""
    return [as_utc_key(since), as_utc_key(until)]


def job_durations(rows: Sequence[Sequence[Any]]) -> list[JobDurations]:
    """The duration statistics per job, from the query's rows (seconds)."""
    return [
        JobDurations(job_id, int(runs), float(p50), float(p90), float(p95), float(longest), float(mean))
        for job_id, runs, p50, p90, p95, longest, mean in rows
    ]


# The newest execution of each job with executions: one walk of (job_id, timestamp) backwards per job.
LAST_EXECUTIONS = """
SELECT (SELECT document FROM scheduler_executions INDEXED BY ix_executions_job_timestamp
        WHERE job_id = jobs.job_id ORDER BY timestamp DESC, rowid DESC LIMIT 1)
FROM (SELECT DISTINCT job_id FROM scheduler_execution_counts WHERE n > 0) AS jobs
"""
