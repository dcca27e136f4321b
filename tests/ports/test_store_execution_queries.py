"""The executions list's time filters and the overview's aggregates, against every store adapter."""

from __future__ import annotations

from datetime import timedelta
from datetime import timezone

import pytest

from infrastructure.store.port import ExecutionQuery
from infrastructure.store.port import JobDurations
from infrastructure.store.port import Store
from tests.ports import conftest_store
from tests.ports.conftest_store import at
from tests.ports.conftest_store import execution_record
from tests.store_writes import delete_execution
from tests.store_writes import put_execution

store = conftest_store.store
SHANGHAI = timezone(timedelta(hours=8))


async def _put_runs(store: Store) -> None:
    """Six runs a minute apart; scheduled at their creation, started 30 s later (not x-5: it was missed)."""
    for number in range(6):
        started = None if number == 5 else at(number + 0.5)
        await put_execution(
            store,
            execution_record(
                f"x-{number}",
                job_id="job-a" if number % 2 == 0 else "job-b",
                status="missed" if number == 5 else "success",
                minutes=number,
                scheduled_time=at(number),
                started_at=started,
                is_manual=number == 3,
                execution_time=None if number == 5 else float(number + 1),
            ),
        )


@pytest.mark.parametrize(
    ("query", "expected", "total"),
    [
        (ExecutionQuery(since=at(2)), ["x-5", "x-4", "x-3", "x-2"], 4),
        (ExecutionQuery(until=at(2)), ["x-1", "x-0"], 2),
        (ExecutionQuery(since=at(1), until=at(3)), ["x-2", "x-1"], 2),
        # The same moments written at another offset select the same runs.
        (
            ExecutionQuery(since=at(1).astimezone(SHANGHAI), until=at(3).astimezone(SHANGHAI)),
            ["x-2", "x-1"],
            2,
        ),
        (ExecutionQuery(since=at(1), time_field="started"), ["x-4", "x-3", "x-2", "x-1"], 4),
        (ExecutionQuery(until=at(1), time_field="started"), ["x-0"], 1),
        (ExecutionQuery(since=at(0), job_id="job-b"), ["x-5", "x-3", "x-1"], 3),
        (ExecutionQuery(since=at(0), job_id="job-b", status="success"), ["x-3", "x-1"], 2),
        (ExecutionQuery(since=at(0), is_manual=True), ["x-3"], 1),
        (ExecutionQuery(since=at(0), is_manual=False, limit=2), ["x-5", "x-4"], 5),
        (ExecutionQuery(since=at(1), limit=2, offset=2), ["x-3", "x-2"], 5),
        (ExecutionQuery(since=at(0), offset=50), [], 6),
        (ExecutionQuery(since=at(10)), [], 0),
    ],
    ids=[
        "since",
        "until",
        "window",
        "window-other-offset",
        "started-since",
        "started-until",
        "job",
        "job+status",
        "manual",
        "not-manual-paged",
        "second-page",
        "beyond-the-end",
        "empty-window",
    ],
)
async def test_time_filters_combine_with_the_others_and_total_the_filtered_set(
    store: Store, query: ExecutionQuery, expected: list[str], total: int
) -> None:
    await _put_runs(store)

    executions, counted = await store.list_executions(query)

    assert [execution.execution_id for execution in executions] == expected
    assert counted == total


async def test_execution_counts_per_window_and_status(store: Store) -> None:
    await _put_runs(store)

    counts = await store.execution_counts([at(0), at(2), at(4), at(6), at(8)])

    assert counts == [{"success": 2}, {"success": 2}, {"success": 1, "missed": 1}, {}]
    assert await store.execution_counts([at(0)]) == []


async def test_execution_counts_take_every_run_whatever_their_number(store: Store) -> None:
    for number in range(450):
        await put_execution(store, execution_record(f"r-{number:03}", status="failed", minutes=number / 100))

    counts = await store.execution_counts([at(0), at(1), at(10)])

    assert counts == [{"failed": 100}, {"failed": 350}]


async def test_job_durations_are_nearest_rank_percentiles_over_the_window(store: Store) -> None:
    for number in range(20):  # durations 1..20 s for job-a, the last one outside the window
        await put_execution(
            store, execution_record(f"a-{number}", minutes=number, execution_time=float(number + 1))
        )
    await put_execution(store, execution_record("b-0", job_id="job-b", minutes=1, execution_time=2.5))
    await put_execution(store, execution_record("b-1", job_id="job-b", status="running", minutes=2))

    durations = await store.job_durations(at(0), at(19))

    assert durations == [
        JobDurations("job-a", runs=19, p50=10.0, p90=18.0, p95=19.0, longest=19.0, mean=10.0),
        JobDurations("job-b", runs=1, p50=2.5, p90=2.5, p95=2.5, longest=2.5, mean=2.5),
    ]
    assert await store.job_durations(at(100), at(200)) == []


async def test_last_executions_are_the_newest_of_each_job(store: Store) -> None:
    await _put_runs(store)
    await delete_execution(store, "x-5")

    last = await store.last_executions()

    assert {job_id: record.execution_id for job_id, record in last.items()} == {
        "job-a": "x-4",
        "job-b": "x-3",
    }
