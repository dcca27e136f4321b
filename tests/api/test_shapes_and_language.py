"""Shapes the web client can render (keys with no value left out, progress to one decimal), status labels
and the mapping to the original four, texts in the caller's language."""

from __future__ import annotations

from typing import Any
from typing import get_args

import httpx
import pytest

from infrastructure.store.sqlite_store import SQLiteStore
from services.api.language import negotiate
from services.api.routes.executions import StatusFilter
from services.api.statuses import STATUS_NAMES
from tests.api import seed
from tests.api.conftest import app_of
from tests.api.envelope import error
from tests.api.envelope import ok
from tests.store_writes import put_execution

EXECUTIONS = "/api/scheduler/executions"
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}


@pytest.fixture
async def catalogue(store: SQLiteStore) -> None:
    await seed.catalogue(store)
    await put_execution(store, seed.execution("e-third", status="running", minutes=7, progress=100 / 3))
    await put_execution(
        store, seed.execution("e-partial", status="partial", minutes=8, error_message="2 rows")
    )


def nulls(item: dict[str, Any]) -> list[str]:
    return [key for key, value in item.items() if value is None]


@pytest.mark.usefixtures("catalogue")
async def test_no_key_is_null_in_executions_jobs_history_and_stats(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    executions = ok(await client.get(EXECUTIONS, headers=viewer))["items"]
    assert executions and all(nulls(item) == [] for item in executions), executions
    missed = next(item for item in executions if item["status"] == "missed")
    assert "execution_time" not in missed and "started_at" not in missed, "the client calls toFixed on it"
    jobs = ok(await client.get("/api/scheduler/jobs", headers=viewer))
    assert all(nulls(job) == [] for job in jobs)
    detail = ok(await client.get("/api/scheduler/jobs/basics", headers=viewer))
    assert nulls(detail) == [] and "next_run_time" not in detail
    stats = ok(await client.get("/api/scheduler/jobs/news/execution-stats", headers=viewer))
    assert nulls(stats) == [] and nulls(stats["last_execution"]) == []


@pytest.mark.usefixtures("catalogue")
async def test_progress_is_rounded_to_one_decimal(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    assert ok(await client.get(f"{EXECUTIONS}/e-third", headers=viewer))["progress"] == 33.3


async def test_the_openapi_schema_does_not_require_the_keys_that_may_be_left_out(
    client: httpx.AsyncClient,
) -> None:
    schemas = app_of(client).openapi()["components"]["schemas"]
    execution = set(schemas["JobExecution"]["required"])
    assert {"execution_time", "progress", "started_at", "error_message", "return_value"}.isdisjoint(execution)
    assert {"status", "status_text", "execution_id"} <= execution
    assert "next_run_time" not in schemas["Job"].get("required", [])
    assert "job_id" not in schemas["JobHistory"].get("required", [])


@pytest.mark.usefixtures("catalogue")
async def test_every_execution_carries_its_status_in_the_callers_language(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    chinese = {
        item["status"]: item["status_text"]
        for item in ok(await client.get(EXECUTIONS, headers=viewer))["items"]
    }
    assert chinese["partial"] == "部分完成" and chinese["running"] == "运行中" and chinese["missed"] == "错过"
    english_page = ok(await client.get(EXECUTIONS, headers=viewer | ENGLISH))["items"]
    english = {item["status"]: item["status_text"] for item in english_page}
    assert english["partial"] == "Partly done" and english["running"] == "Running"


@pytest.mark.usefixtures("catalogue")
async def test_partial_runs_are_filtered_and_counted(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    page = ok(await client.get(EXECUTIONS, params={"status": "partial"}, headers=viewer))
    assert [item["execution_id"] for item in page["items"]] == ["e-partial"]
    stats = ok(await client.get("/api/scheduler/jobs/quotes/execution-stats", headers=viewer))
    assert stats["partial"] == 1


async def test_the_statuses_are_served_with_labels_and_their_original_status(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    statuses = ok(await client.get("/api/scheduler/statuses", headers=viewer))
    by_name = {entry["status"]: entry for entry in statuses}
    assert list(by_name) == list(STATUS_NAMES)
    assert {entry["original"] for entry in statuses} == {"running", "success", "failed", "missed"}
    assert by_name["queued"]["original"] == "running" and by_name["skipped"]["original"] == "missed"
    assert by_name["partial"] == {
        "status": "partial",
        "label": "部分完成",
        "original": "failed",
        "final": True,
    }
    english = ok(await client.get("/api/scheduler/statuses", headers=viewer | ENGLISH))
    assert english[4]["label"] == "Partly done"


def test_the_status_filter_takes_every_status() -> None:
    optional_literal = get_args(StatusFilter)[0]  # Annotated[Literal[...] | None, Query(...)]
    assert get_args(get_args(optional_literal)[0]) == STATUS_NAMES


@pytest.mark.usefixtures("catalogue")
async def test_messages_and_errors_in_the_callers_language(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    chinese = await client.get("/api/scheduler/jobs", headers=viewer)
    assert chinese.json()["message"] == "获取到 3 个定时任务" and chinese.headers["content-language"] == "zh"
    english = await client.get("/api/scheduler/jobs", headers=viewer | ENGLISH)
    assert english.json()["message"] == "3 scheduled jobs" and english.headers["content-language"] == "en"
    assert error(await client.get("/api/scheduler/jobs/nope", headers=viewer | ENGLISH), 404) == (
        "Job nope does not exist"
    )
    assert error(await client.get("/api/scheduler/jobs/nope", headers=viewer), 404) == "任务 nope 不存在"
    invalid = await client.get(EXECUTIONS, params={"limit": 0}, headers=viewer | ENGLISH)
    assert error(invalid, 422).startswith("query parameter limit")


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "zh"),
        ("", "zh"),
        ("en", "en"),
        ("en-GB,en;q=0.8", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("fr-FR,en;q=0.5", "en"),
        ("fr, de", "zh"),
        ("zh;q=0.2, en;q=0.9", "en"),
        ("en;q=0, zh", "zh"),
        ("en;q=abc", "zh"),
        ("*", "zh"),
        ("x" * 10_000 + ",en", "zh"),
    ],
)
def test_the_language_is_chosen_from_accept_language(header: str | None, language: str) -> None:
    assert negotiate(header) == language


async def test_sign_in_and_rights_errors_in_the_callers_language(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    assert error(await client.get("/api/scheduler/jobs", headers=ENGLISH), 401).startswith("No token")
    assert error(await client.get("/api/scheduler/jobs"), 401).startswith("未提供认证令牌")
    forbidden = await client.post("/api/scheduler/jobs/quotes/pause", headers=viewer | ENGLISH)
    assert error(forbidden, 403) == "Admin rights are needed"
