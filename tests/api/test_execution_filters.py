"""The executions list's time filters and bad input, and the overview's one-request summary."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from itertools import pairwise
from typing import Any

import httpx
import pytest

from infrastructure.store.sqlite_store import SQLiteStore
from tests.api import seed
from tests.api.envelope import error
from tests.api.envelope import ok
from tests.store_writes import put_execution

EXECUTIONS = "/api/scheduler/executions"
SUMMARY = "/api/scheduler/execution-summary"


def ids(page: dict[str, Any]) -> list[str]:
    return [item["_id"] for item in page["items"]]


@pytest.mark.parametrize(
    ("params", "expected", "total"),
    [
        (
            {"since": "2025-01-06T09:32:00+08:00"},
            ["e-news", "e-queued", "e-running", "e-missed", "e-failed"],
            5,
        ),
        (
            {"since": "2025-01-06T09:32:00+08:00", "until": "2025-01-06T09:34:00+08:00"},
            ["e-missed", "e-failed"],
            2,
        ),
        ({"since": "2025-01-06T01:32:00Z", "until": "2025-01-06T01:34:00Z"}, ["e-missed", "e-failed"], 2),
        # Without an offset: the display timezone (Asia/Shanghai), as the console sends it.
        ({"since": "2025-01-06T09:32:00", "until": "2025-01-06T09:34:00"}, ["e-missed", "e-failed"], 2),
        (
            {"since": "2025-01-06T09:31:00+08:00", "time_field": "started"},
            ["e-news", "e-failed", "e-success"],
            3,
        ),
        ({"until": "2025-01-06T09:32:00+08:00", "time_field": "started"}, ["e-success"], 1),
        ({"since": "2025-01-06T09:31:00+08:00", "status": "success", "job_id": "quotes"}, ["e-success"], 1),
        ({"since": "2025-01-06T09:34:00+08:00", "is_manual": "true"}, ["e-queued", "e-running"], 2),
        ({"since": "2025-01-06T09:34:00+08:00", "is_manual": "false"}, ["e-news"], 1),
        # The match sits past the first page of the unfiltered list: the filter finds it on page 1.
        (
            {"since": "2025-01-06T09:31:00+08:00", "until": "2025-01-06T09:32:00+08:00", "limit": 1},
            ["e-success"],
            1,
        ),
        ({"since": "2025-01-06T09:32:00+08:00", "limit": 2, "offset": 4}, ["e-failed"], 5),
        ({"since": "2025-01-06T09:32:00+08:00", "offset": 10}, [], 5),
        ({"since": "2025-01-06T09:32:00+08:00", "until": "2025-01-06T09:32:00+08:00"}, [], 0),
    ],
)
async def test_filters_combine_and_total_the_filtered_set(
    client: httpx.AsyncClient,
    viewer: dict[str, str],
    store: SQLiteStore,
    params: dict[str, str],
    expected: list[str],
    total: int,
) -> None:
    await seed.catalogue(store)

    page = ok(await client.get(EXECUTIONS, params=params, headers=viewer))

    assert (ids(page), page["total"]) == (expected, total)


async def test_a_jobs_executions_take_the_same_filters(
    client: httpx.AsyncClient, viewer: dict[str, str], store: SQLiteStore
) -> None:
    await seed.catalogue(store)
    params = {"since": "2025-01-06T09:32:00+08:00", "status": "failed"}

    page = ok(await client.get("/api/scheduler/jobs/quotes/executions", params=params, headers=viewer))

    assert (ids(page), page["total"]) == (["e-failed"], 1)


@pytest.mark.parametrize(
    ("params", "named"),
    [
        (
            {"since": "2025-01-06T10:00:00+08:00", "until": "2025-01-06T09:00:00+08:00"},
            "2025-01-06T10:00:00+08:00",
        ),
        ({"since": "yesterday"}, "since"),
        ({"until": "1736127000"}, "until"),
        ({"since": "2025-13-40T25:00:00"}, "since"),
        ({"status": "done"}, "status"),
        ({"time_field": "finished"}, "time_field"),
        ({"is_manual": "perhaps"}, "is_manual"),
        ({"offset": "-1"}, "offset"),
    ],
)
async def test_bad_filters_answer_422_naming_the_problem(
    client: httpx.AsyncClient, viewer: dict[str, str], params: dict[str, str], named: str
) -> None:
    detail = error(await client.get(EXECUTIONS, params=params, headers=viewer), 422)

    assert named in detail


async def test_an_inverted_range_is_explained_in_the_callers_language(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    params = {"since": "2025-01-06T10:00:00+08:00", "until": "2025-01-06T09:00:00+08:00"}
    chinese = error(await client.get(EXECUTIONS, params=params, headers=viewer), 422)
    english = error(
        await client.get(EXECUTIONS, params=params, headers=viewer | {"Accept-Language": "en"}), 422
    )

    assert "晚于" in chinese
    assert english.startswith("Invalid time range: since 2025-01-06T10:00:00+08:00 is after until")


def _containing(windows: list[dict[str, Any]], moment: datetime) -> dict[str, Any]:
    [window] = [
        window
        for window in windows
        if datetime.fromisoformat(window["start"]) <= moment < datetime.fromisoformat(window["end"])
    ]
    return window


async def test_the_summary_aggregates_every_run_of_its_windows(
    client: httpx.AsyncClient, viewer: dict[str, str], store: SQLiteStore
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    recent, older, outside = now - timedelta(minutes=90), now - timedelta(days=5), now - timedelta(days=20)
    for number in range(250):  # more than any page: the counts are aggregates, not a sample
        at = recent + timedelta(seconds=number)
        status = "failed" if number % 5 == 0 else "success"
        await put_execution(
            store,
            seed.execution(f"r-{number:03}", status=status, timestamp=at, execution_time=float(number + 1)),
        )
    await put_execution(store, seed.execution("old", "news", timestamp=older, execution_time=2.0))
    await put_execution(store, seed.execution("gone", "news", timestamp=outside, execution_time=99.0))
    await put_execution(store, seed.execution("now", "news", status="running", timestamp=now))

    summary = ok(await client.get(SUMMARY, headers=viewer))

    hourly, daily = summary["hourly"], summary["daily"]
    assert (hourly["unit"], len(hourly["windows"]), daily["unit"], len(daily["windows"])) == (
        "hour",
        24,
        "day",
        14,
    )
    for series in (hourly, daily):
        windows = series["windows"]
        assert all(left["end"] == right["start"] for left, right in pairwise(windows))
        assert datetime.fromisoformat(series["until"]) > now
        assert windows[-1]["end"].endswith("+08:00")
    assert _containing(hourly["windows"], recent + timedelta(seconds=125))["counts"]["failed"] >= 1
    assert sum(window["total"] for window in hourly["windows"]) == 251
    assert sum(window["counts"].get("failed", 0) for window in hourly["windows"]) == 50
    assert sum(window["total"] for window in daily["windows"]) == 252
    assert _containing(daily["windows"], older)["counts"].get("success", 0) >= 1
    durations = {entry["job_id"]: entry for entry in summary["durations"]}
    assert durations["quotes"] == {
        "job_id": "quotes",
        "runs": 250,
        "p50": 125.0,
        "p90": 225.0,
        "p95": 238.0,
        "max": 250.0,
        "mean": 125.5,
    }
    assert durations["news"]["runs"] == 1 and durations["news"]["max"] == 2.0
    last = {run["job_id"]: run["_id"] for run in summary["last_runs"]}
    assert last == {"quotes": "r-249", "news": "now"}
    assert (summary["running"], summary["queued"]) == (1, 0)


async def test_the_summary_of_an_empty_store_has_empty_windows(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    summary = ok(await client.get(SUMMARY, headers=viewer | {"Accept-Language": "en"}))

    assert all(window == window | {"counts": {}, "total": 0} for window in summary["hourly"]["windows"])
    assert (summary["durations"], summary["last_runs"]) == ([], [])
