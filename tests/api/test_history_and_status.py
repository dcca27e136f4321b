"""Endpoints 7-10: operator history, scheduler stats and health from projected heartbeats."""

from __future__ import annotations

import httpx
import pytest

from infrastructure.store.sqlite_store import SQLiteStore
from infrastructure.store.sqlite_users import SQLiteUserStore
from services.api.app import create_app
from services.api.settings import ApiSettings
from tests.api import seed
from tests.api.conftest import AppFactory
from tests.api.envelope import assert_iso_with_offset
from tests.api.envelope import error
from tests.api.envelope import ok
from tests.api.fakes import RecordingBus
from tests.store_writes import put_history
from tests.store_writes import put_scheduler_state


@pytest.fixture
async def audit(store: SQLiteStore) -> None:
    await seed.catalogue(store)
    await put_history(store, seed.history("h1", "quotes", minutes=1, action="pause"))
    await put_history(
        store, seed.history("h2", "quotes", minutes=2, action="trigger", details={"execution_id": "e1"})
    )
    await put_history(
        store, seed.history("h3", "news", minutes=3, action="resume", status="failed", error_message="no")
    )
    await put_history(
        store, seed.history("h4", None, minutes=4, action="cancel", execution_id="e-x", actor="bob")
    )


@pytest.mark.usefixtures("audit")
async def test_job_history_newest_first(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    page = ok(await client.get("/api/scheduler/jobs/quotes/history", headers=viewer))
    assert [item["action"] for item in page["history"]] == ["trigger", "pause"]
    assert (page["total"], page["limit"], page["offset"]) == (2, 20, 0)
    first = page["history"][0]
    assert first["job_id"] == "quotes" and first["status"] == "success" and first["actor"] == "alice"
    assert first["details"] == {"execution_id": "e1"}
    assert first["timestamp"] == "2025-01-06T09:32:00+08:00"


@pytest.mark.usefixtures("audit")
async def test_all_history_with_filters(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    page = ok(await client.get("/api/scheduler/history", headers=viewer))
    assert [item["action"] for item in page["history"]] == ["cancel", "resume", "trigger", "pause"]
    assert page["limit"] == 50 and "job_id" not in page["history"][0]
    failed = ok(await client.get("/api/scheduler/history?status=failed", headers=viewer))
    assert [item["error_message"] for item in failed["history"]] == ["no"]
    paged = ok(await client.get("/api/scheduler/history?job_id=quotes&limit=1&offset=1", headers=viewer))
    assert [item["action"] for item in paged["history"]] == ["pause"] and paged["total"] == 2


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/scheduler/jobs/quotes/history?limit=101", "limit"),
        ("/api/scheduler/jobs/quotes/history?limit=0", "limit"),
        ("/api/scheduler/jobs/quotes/history?offset=-3", "offset"),
        ("/api/scheduler/history?limit=201", "limit"),
        ("/api/scheduler/history?status=running", "status"),
    ],
)
async def test_bad_history_parameters(
    client: httpx.AsyncClient, viewer: dict[str, str], url: str, name: str
) -> None:
    assert name in error(await client.get(url, headers=viewer), 422)


async def test_stats_and_health_with_a_live_scheduler(
    client: httpx.AsyncClient, store: SQLiteStore, viewer: dict[str, str]
) -> None:
    await seed.catalogue(store)
    await put_scheduler_state(store, seed.heartbeat(age_s=1))
    stats = ok(await client.get("/api/scheduler/stats", headers=viewer))
    assert stats["total_jobs"] == 3 and stats["paused_jobs"] == 1 and stats["running_jobs"] == 2
    assert stats["scheduler_running"] is True and stats["scheduler_state"] == 1
    assert stats["executions_in_progress"] == 2
    assert_iso_with_offset(stats["last_heartbeat"], "+08:00")
    response = await client.get("/api/scheduler/health", headers=viewer)
    health = ok(response)
    assert health["status"] == "healthy" and health["running"] is True and health["state"] == 1
    assert health["bus_connected"] is True and health["reasons"] == []
    assert_iso_with_offset(health["timestamp"], "+08:00")
    assert response.json()["message"] == "调度器运行正常"


async def test_no_heartbeat_ever_means_stopped(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    stats = ok(await client.get("/api/scheduler/stats", headers=viewer))
    assert stats["scheduler_running"] is False and stats["scheduler_state"] == 0
    assert stats["total_jobs"] == 0 and stats["last_heartbeat"] is None
    response = await client.get("/api/scheduler/health", headers=viewer)
    health = ok(response)
    assert health["status"] == "stopped" and health["running"] is False and health["state"] == 0
    assert "正常" not in response.json()["message"]


async def test_a_silent_scheduler_is_stopped(
    client: httpx.AsyncClient, store: SQLiteStore, viewer: dict[str, str]
) -> None:
    # Three intervals of 10 s without a heartbeat: down or cut off, whatever it last said.
    await put_scheduler_state(store, seed.heartbeat(age_s=31, state=1))
    health = ok(await client.get("/api/scheduler/health", headers=viewer))
    assert health["status"] == "stopped" and health["running"] is False
    assert health["last_heartbeat"] is not None
    stats = ok(await client.get("/api/scheduler/stats", headers=viewer))
    assert stats["scheduler_running"] is False and stats["scheduler_state"] == 0


async def test_a_scheduler_reporting_stopped_is_stopped(
    client: httpx.AsyncClient, store: SQLiteStore, viewer: dict[str, str]
) -> None:
    await put_scheduler_state(store, seed.heartbeat(age_s=1, state=0))
    assert ok(await client.get("/api/scheduler/health", headers=viewer))["status"] == "stopped"


async def test_the_live_leader_wins_over_standbys_and_stale_replicas(
    client: httpx.AsyncClient, store: SQLiteStore, viewer: dict[str, str]
) -> None:
    await put_scheduler_state(store, seed.heartbeat(age_s=100, scheduler_id="old"))
    await put_scheduler_state(store, seed.heartbeat(age_s=0, scheduler_id="standby", active=False))
    await put_scheduler_state(store, seed.heartbeat(age_s=2, scheduler_id="leader"))
    assert ok(await client.get("/api/scheduler/health", headers=viewer))["status"] == "healthy"


async def test_only_standbys_alive_is_degraded(
    client: httpx.AsyncClient, store: SQLiteStore, viewer: dict[str, str]
) -> None:
    await put_scheduler_state(store, seed.heartbeat(age_s=100, scheduler_id="old-leader"))
    await put_scheduler_state(store, seed.heartbeat(age_s=1, scheduler_id="standby", active=False))
    health = ok(await client.get("/api/scheduler/health", headers=viewer))
    assert health["status"] == "degraded" and health["running"] is True
    assert health["reasons"] == ["仅有备用调度器实例在线（没有主实例）"]


async def test_paused_scheduler_is_degraded(
    client: httpx.AsyncClient, store: SQLiteStore, viewer: dict[str, str]
) -> None:
    await put_scheduler_state(store, seed.heartbeat(age_s=1, state=2))
    response = await client.get("/api/scheduler/health", headers=viewer)
    health = ok(response)
    assert health["status"] == "degraded" and health["running"] is True and health["state"] == 2
    assert "暂停" in response.json()["message"]


async def test_disconnected_bus_is_degraded(
    make_client: AppFactory, store: SQLiteStore, viewer: dict[str, str]
) -> None:
    await put_scheduler_state(store, seed.heartbeat(age_s=1))
    async with make_client(RecordingBus(connected=False)) as client:
        health = ok(await client.get("/api/scheduler/health", headers=viewer))
    assert health["status"] == "degraded" and health["bus_connected"] is False
    assert health["reasons"] == ["消息总线未连接"]


@pytest.mark.parametrize(("lag", "expected"), [(None, "healthy"), (5.0, "healthy"), (120.0, "degraded")])
async def test_projector_lag_hook(
    settings: ApiSettings,
    store: SQLiteStore,
    users: SQLiteUserStore,
    viewer: dict[str, str],
    lag: float | None,
    expected: str,
) -> None:
    await put_scheduler_state(store, seed.heartbeat(age_s=1))

    async def probe() -> float | None:
        return lag

    app = create_app(settings=settings, store=store, bus=RecordingBus(), users=users, projector_lag=probe)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        health = ok(await client.get("/api/scheduler/health", headers=viewer))
    assert health["status"] == expected and health["projector_lag_s"] == lag
