"""Endpoints 11, 12, 14-16 and the additions on one execution (detail, event timeline)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from contracts.codec import to_document
from contracts.commands import CancelExecution
from contracts.commands import DeleteExecution
from contracts.commands import MarkExecutionFailed
from contracts.events import JobStarted
from contracts.events import Progress
from infrastructure.store.sqlite_store import SQLiteStore
from tests.api import seed
from tests.api.envelope import accepted
from tests.api.envelope import assert_iso_with_offset
from tests.api.envelope import error
from tests.api.envelope import ok
from tests.api.fakes import RecordingBus

pytestmark = pytest.mark.usefixtures("catalogue")
EXECUTIONS = "/api/scheduler/executions"


@pytest.fixture
async def catalogue(store: SQLiteStore) -> None:
    await seed.catalogue(store)


def ids(page: dict[str, object]) -> list[str]:
    items = page["items"]
    assert isinstance(items, list)
    return [item["_id"] for item in items]


async def test_list_newest_first_with_paging(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    page = ok(await client.get(EXECUTIONS, headers=viewer))
    assert ids(page) == ["e-news", "e-queued", "e-running", "e-missed", "e-failed", "e-success"]
    assert (page["total"], page["limit"], page["offset"]) == (6, 50, 0)
    second = ok(await client.get(EXECUTIONS, params={"limit": 2, "offset": 2}, headers=viewer))
    assert ids(second) == ["e-running", "e-missed"] and second["total"] == 6


async def test_execution_shape(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    page = ok(await client.get(EXECUTIONS, params={"status": "failed"}, headers=viewer))
    [item] = page["items"]
    assert item["_id"] == "e-failed" == item["execution_id"]
    assert (item["job_id"], item["job_name"], item["status"]) == ("quotes", "name of quotes", "failed")
    assert item["execution_time"] == 10.0 and item["is_manual"] is False
    assert item["error_message"] == "boom" and item["traceback"] == "tb"
    assert item["cancel_requested"] is False
    for field in ("scheduled_time", "timestamp", "updated_at", "started_at", "finished_at"):
        assert_iso_with_offset(item[field], "+08:00")
    assert item["timestamp"] == "2025-01-06T09:32:00+08:00"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"job_id": "news"}, ["e-news"]),
        ({"status": "running"}, ["e-running"]),
        ({"is_manual": "true"}, ["e-queued", "e-running"]),
        ({"is_manual": "false", "job_id": "quotes"}, ["e-missed", "e-failed", "e-success"]),
        ({"job_id": "quotes", "status": "success", "is_manual": "false"}, ["e-success"]),
        ({"job_id": "unknown"}, []),
    ],
)
async def test_filters(
    client: httpx.AsyncClient, viewer: dict[str, str], params: dict[str, str], expected: list[str]
) -> None:
    page = ok(await client.get(EXECUTIONS, params=params, headers=viewer))
    assert ids(page) == expected and page["total"] == len(expected)


async def test_executions_of_one_job(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    url = "/api/scheduler/jobs/quotes/executions"
    page = ok(await client.get(url, params={"is_manual": "false", "limit": 1}, headers=viewer))
    assert ids(page) == ["e-missed"] and page["total"] == 3 and page["limit"] == 1


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"status": "exploded"}, "status"),
        ({"is_manual": "perhaps"}, "is_manual"),
    ],
)
async def test_bad_list_parameters_are_422_naming_them(
    client: httpx.AsyncClient, viewer: dict[str, str], params: dict[str, Any], name: str
) -> None:
    for url in (EXECUTIONS, "/api/scheduler/jobs/quotes/executions"):
        detail = error(await client.get(url, params=params, headers=viewer), 422)
        assert name in detail


async def test_one_execution(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    item = ok(await client.get(f"{EXECUTIONS}/e-running", headers=viewer))
    assert item["_id"] == "e-running" and item["progress"] == 40.0 and item["is_manual"] is True
    error(await client.get(f"{EXECUTIONS}/nope", headers=viewer), 404)


async def test_event_timeline_of_one_execution(
    client: httpx.AsyncClient, store: SQLiteStore, viewer: dict[str, str]
) -> None:
    started = JobStarted(
        job_id="quotes",
        execution_id="e-running",
        job_name="q",
        worker_id="w1",
        started_at=seed.T0,
        scheduled_time=seed.T0,
        producer="worker",
        sequence=1,
        occurred_at=seed.T0,
    )
    progress = Progress(
        job_id="quotes",
        execution_id="e-running",
        progress=40,
        producer="worker",
        sequence=2,
        occurred_at=seed.T0 + timedelta(seconds=5),
    )
    for event in (started, progress):
        await store.append_event(to_document(event))
    page = ok(await client.get(f"{EXECUTIONS}/e-running/events", headers=viewer))
    assert [item["type"] for item in page["items"]] == ["JobStarted", "Progress"]
    assert page["total"] == 2
    first = page["items"][0]
    assert first["occurred_at"] == "2025-01-06T09:30:00+08:00"
    assert first["started_at"] == "2025-01-06T09:30:00+08:00" and first["worker_id"] == "w1"
    paged = ok(await client.get(f"{EXECUTIONS}/e-running/events?limit=1&offset=1", headers=viewer))
    assert [item["type"] for item in paged["items"]] == ["Progress"]
    assert paged["total"] == 2 and paged["limit"] == 1 and paged["offset"] == 1
    beyond = ok(await client.get(f"{EXECUTIONS}/e-running/events?offset=5", headers=viewer))
    assert beyond["items"] == [] and beyond["total"] == 2
    # A page is bounded: the console reads a long timeline 1,000 events at a time.
    too_large = await client.get(f"{EXECUTIONS}/e-running/events?limit=1001", headers=viewer)
    assert "limit" in error(too_large, 422)


async def test_timeline_of_a_known_execution_without_events_is_empty_and_unknown_is_404(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    assert ok(await client.get(f"{EXECUTIONS}/e-news/events", headers=viewer))["items"] == []
    error(await client.get(f"{EXECUTIONS}/nope/events", headers=viewer), 404)


@pytest.mark.parametrize("execution_id", ["e-running", "e-queued"])
async def test_cancel_in_progress(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str], execution_id: str
) -> None:
    assert accepted(await client.post(f"{EXECUTIONS}/{execution_id}/cancel", headers=admin)) is None
    [command] = bus.commands
    assert isinstance(command, CancelExecution)
    assert command.execution_id == execution_id and command.actor == "alice"


@pytest.mark.parametrize("execution_id", ["e-success", "e-failed", "e-missed"])
async def test_cancel_of_a_finished_execution_is_400(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str], execution_id: str
) -> None:
    error(await client.post(f"{EXECUTIONS}/{execution_id}/cancel", headers=admin), 400)
    assert bus.published == []


async def test_mark_failed_with_default_and_given_reason(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str]
) -> None:
    accepted(await client.post(f"{EXECUTIONS}/e-running/mark-failed", headers=admin))
    accepted(await client.post(f"{EXECUTIONS}/e-queued/mark-failed?reason=worker%20lost", headers=admin))
    first, second = bus.commands
    assert isinstance(first, MarkExecutionFailed) and isinstance(second, MarkExecutionFailed)
    assert (first.execution_id, first.reason) == ("e-running", "用户手动标记为失败")
    assert (second.execution_id, second.reason) == ("e-queued", "worker lost")


async def test_mark_failed_errors(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str]
) -> None:
    error(await client.post(f"{EXECUTIONS}/e-success/mark-failed", headers=admin), 400)
    error(await client.post(f"{EXECUTIONS}/nope/mark-failed", headers=admin), 404)
    too_long = {"reason": "r" * 501}
    response = await client.post(f"{EXECUTIONS}/e-running/mark-failed", params=too_long, headers=admin)
    assert "reason" in error(response, 422)
    response = await client.post(f"{EXECUTIONS}/e-running/mark-failed?reason=", headers=admin)
    assert "reason" in error(response, 422)
    assert bus.published == []


@pytest.mark.parametrize("execution_id", ["e-success", "e-failed", "e-missed"])
async def test_delete_finished(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str], execution_id: str
) -> None:
    assert accepted(await client.delete(f"{EXECUTIONS}/{execution_id}", headers=admin)) is None
    [command] = bus.commands
    assert isinstance(command, DeleteExecution) and command.execution_id == execution_id


@pytest.mark.parametrize("execution_id", ["e-running", "e-queued"])
async def test_delete_in_progress_is_409(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str], execution_id: str
) -> None:
    error(await client.delete(f"{EXECUTIONS}/{execution_id}", headers=admin), 409)
    assert bus.published == []


@pytest.mark.parametrize("action", ["cancel", "mark-failed"])
async def test_commands_on_unknown_execution_are_404(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str], action: str
) -> None:
    error(await client.post(f"{EXECUTIONS}/nope/{action}", headers=admin), 404)
    error(await client.delete(f"{EXECUTIONS}/nope", headers=admin), 404)
    assert bus.published == []


async def test_the_api_never_writes_read_models(
    client: httpx.AsyncClient, store: SQLiteStore, admin: dict[str, str]
) -> None:
    accepted(await client.delete(f"{EXECUTIONS}/e-success", headers=admin))
    accepted(await client.post(f"{EXECUTIONS}/e-running/cancel", headers=admin))
    assert await store.get_execution("e-success") is not None
    running = await store.get_execution("e-running")
    assert running is not None and running.cancel_requested is False
