"""A run's own log through the API: `GET /executions/{id}/logs` pages it (offset, limit, lowest level),
`GET /executions/{id}/logs/stream` tails it live and ends once the run has ended."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest

from contracts.run_logs import LogLevel
from infrastructure.store.run_logs_port import MemoryRunLogs
from infrastructure.store.run_logs_port import RunLogLine
from infrastructure.store.sqlite_store import SQLiteStore
from services.api.routes import run_logs as run_logs_route
from tests.api import seed
from tests.api.conftest import app_of
from tests.api.envelope import error
from tests.api.envelope import ok
from tests.api.sse import SSEConnection
from tests.store_writes import put_execution

LEVELS: list[LogLevel] = ["INFO", "DEBUG", "WARNING", "INFO", "ERROR"]


def line(sequence: int, level: LogLevel = "INFO", *, attempt: int = 1) -> RunLogLine:
    at = seed.T0 + timedelta(seconds=sequence)
    return RunLogLine(
        "quotes", "e-1", attempt, sequence, at, level, "jobs.quotes", f"line {attempt}.{sequence}"
    )


def logs_path(execution_id: str = "e-1") -> str:
    return f"/api/scheduler/executions/{execution_id}/logs"


async def test_the_log_is_paged_in_order_with_a_lowest_level(
    client: httpx.AsyncClient, store: SQLiteStore, run_log_store: MemoryRunLogs, viewer: dict[str, str]
) -> None:
    await put_execution(store, seed.execution("e-1", status="failed"))
    await run_log_store.append([line(n, level) for n, level in enumerate(LEVELS, 1)] + [line(1, attempt=2)])
    page = ok(await client.get(logs_path(), headers=viewer))
    assert page["total"] == 6 and (page["limit"], page["offset"]) == (200, 0)
    assert [item["message"] for item in page["items"]] == [
        "line 1.1", "line 1.2", "line 1.3", "line 1.4", "line 1.5", "line 2.1",
    ]  # fmt: skip
    first = page["items"][0]
    assert first == {
        "attempt": 1, "sequence": 1, "logged_at": "2025-01-06T09:30:01+08:00", "level": "INFO",
        "logger": "jobs.quotes", "message": "line 1.1",
    }  # fmt: skip
    page = ok(await client.get(logs_path(), params={"offset": 1, "limit": 2}, headers=viewer))
    assert [item["sequence"] for item in page["items"]] == [2, 3] and page["total"] == 6
    page = ok(await client.get(logs_path(), params={"level": "WARNING"}, headers=viewer))
    assert [item["level"] for item in page["items"]] == ["WARNING", "ERROR"] and page["total"] == 2


async def test_bad_requests_are_named(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    assert "e-missing" in error(await client.get(logs_path("e-missing"), headers=viewer), 404)
    assert "level" in error(await client.get(logs_path(), params={"level": "LOUD"}, headers=viewer), 422)
    assert "limit" in error(await client.get(logs_path(), params={"limit": 1001}, headers=viewer), 422)
    error(await client.get(logs_path()), 401)


async def test_an_execution_without_lines_has_an_empty_log(
    client: httpx.AsyncClient, store: SQLiteStore, viewer: dict[str, str]
) -> None:
    await put_execution(store, seed.execution("e-1", status="running"))
    page = ok(await client.get(logs_path(), headers=viewer))
    assert (page["items"], page["total"]) == ([], 0)


async def test_the_live_tail_follows_new_lines_and_ends_with_the_run(
    client: httpx.AsyncClient,
    store: SQLiteStore,
    run_log_store: MemoryRunLogs,
    viewer: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(run_logs_route, "TAIL_POLL_S", 0.02)
    monkeypatch.setattr(run_logs_route, "TAIL_SETTLE_S", 0.1)
    await put_execution(store, seed.execution("e-1", status="running"))
    await run_log_store.append([line(1), line(2)])
    path = logs_path() + "/stream"
    async with SSEConnection(app_of(client), path, params={"offset": 1}, headers=viewer) as sse:
        assert sse.status == 200
        hello = await sse.next_event()
        assert hello is not None and hello[""] == "connected"
        second = await sse.next_event()
        assert second is not None and second["event"] == "log" and second["id"] == "2"
        assert json.loads(second["data"])["message"] == "line 1.2"
        await run_log_store.append([line(3, "WARNING")])
        third = await sse.next_event()
        assert third is not None and json.loads(third["data"])["level"] == "WARNING"
        await put_execution(store, seed.execution("e-1", status="success"))
        end = await sse.next_event()
        assert end is not None and end["event"] == "end" and json.loads(end["data"]) == {"lines": 3}


async def test_the_live_tail_of_an_unknown_execution_is_404(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    error(await client.get(logs_path("e-missing") + "/stream", headers=viewer), 404)
