"""A command while the broker is unreachable: 503 with a clear message, and nothing half-done."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from infrastructure.store.sqlite_store import SQLiteStore
from tests.api import seed
from tests.api.conftest import AppFactory
from tests.api.conftest import app_of
from tests.api.envelope import error
from tests.api.envelope import ok
from tests.api.fakes import DownBus
from tests.api.test_auth import MUTATIONS


@pytest.fixture
async def down(make_client: AppFactory, store: SQLiteStore) -> AsyncIterator[httpx.AsyncClient]:
    await seed.catalogue(store)
    async with make_client(DownBus()) as client:
        yield client


@pytest.mark.parametrize(("method", "path", "body"), MUTATIONS)
async def test_commands_answer_503(
    down: httpx.AsyncClient,
    store: SQLiteStore,
    admin: dict[str, str],
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    response = await down.request(method, path, json=body, headers=admin)
    detail = error(response, 503)
    assert "消息总线不可用" in detail
    assert response.headers["Retry-After"] == "2"
    running = await store.get_execution("e-running")
    assert running is not None and running.status == "running"


async def test_validation_still_comes_first(down: httpx.AsyncClient, admin: dict[str, str]) -> None:
    error(await down.post("/api/scheduler/jobs/nope/pause", headers=admin), 404)
    error(await down.post("/api/scheduler/executions/e-success/cancel", headers=admin), 400)


async def test_reads_still_work_and_readiness_fails(down: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    assert len(ok(await down.get("/api/scheduler/jobs", headers=viewer))) == 3
    ready = await down.get("/readyz")
    assert ready.status_code == 503 and ready.json() == {"status": "not ready", "store": True, "bus": False}
    error(await down.get("/api/scheduler/stream", headers=viewer), 503)


async def test_failures_are_counted(down: httpx.AsyncClient, admin: dict[str, str]) -> None:
    await down.post("/api/scheduler/jobs/quotes/pause", headers=admin)
    metrics = app_of(down).state.api.metrics.render().decode()
    assert 'scheduler_api_command_publish_failures_total{type="PauseJob"} 1.0' in metrics


async def test_health_says_since_when_the_broker_is_unreachable(
    down: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    health = ok(await down.get("/api/scheduler/health", headers=viewer))
    assert health["status"] == "degraded"  # not "stopped": the scheduler's heartbeats cannot cross
    assert any("broker unreachable since 2026-01-05T01:02:03+00:00" in reason for reason in health["reasons"])
