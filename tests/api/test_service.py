"""Probes, metrics, OpenAPI, start-up (first admin), settings, the access-log redaction."""

from __future__ import annotations

import logging
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from pydantic import ValidationError

from infrastructure.log_redaction import RedactTokens
from infrastructure.store.sqlite_store import SQLiteStore
from infrastructure.store.sqlite_users import SQLiteUserStore
from services.api.auth import ensure_first_admin
from services.api.auth import new_user
from services.api.auth import verify_password
from services.api.settings import ApiSettings
from tests.api import seed
from tests.api.conftest import AppFactory
from tests.api.conftest import app_of
from tests.api.envelope import ok
from tests.api.fakes import RecordingBus
from tests.store_writes import put_job


async def test_liveness_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "alive"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "store": True, "bus": True}


async def test_not_ready_without_bus(make_client: AppFactory) -> None:
    async with make_client(RecordingBus(connected=False)) as client:
        ready = await client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["bus"] is False


async def test_metrics(client: httpx.AsyncClient, viewer: dict[str, str], admin: dict[str, str]) -> None:
    await client.get("/api/scheduler/jobs", headers=viewer)
    await client.get("/api/scheduler/jobs/nope", headers=viewer)
    response = await client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'scheduler_api_requests_total{method="GET",route="/api/scheduler/jobs",status="200"} 1.0' in text
    assert 'route="/api/scheduler/jobs/{job_id}",status="404"' in text
    assert "scheduler_api_request_duration_seconds_bucket" in text
    assert "scheduler_api_stream_clients 0.0" in text


async def test_openapi_documents_every_route(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    operations = [
        (path, method, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    # with /api/health, /api/auth/refresh, /api/auth/logout, /jobs/{job_id}/parameters, /statuses,
    # /jobs/{job_id}/next-runs, /triggers/preview, a run's log (paged and live), /execution-summary
    # and the 11 alert routes; jobs as data: /kinds, a job's /definition, POST /jobs, PATCH and DELETE
    # /jobs/{job_id}, /jobs/{job_id}/reset; /dependencies; the 3 bulk ones (bulk, its progress, a job's
    # retention); backfills: POST /jobs/{job_id}/backfill, the list, one, its cancel
    assert len(operations) == 60
    for path, method, operation in operations:
        assert operation.get("summary"), (path, method)
        assert "200" in operation["responses"], (path, method)
        if path.startswith("/api/scheduler"):
            assert {"401", "422"} <= set(operation["responses"]), (path, method)
        reads_with_a_body = path == "/api/scheduler/triggers/preview"  # a viewer may preview
        if (
            method in ("put", "post", "delete")
            and path.startswith("/api/scheduler")
            and not reads_with_a_body
        ):
            assert "403" in operation["responses"], (path, method)
    jobs = document["paths"]["/api/scheduler/jobs"]["get"]["responses"]["200"]
    assert jobs["content"]["application/json"]["schema"]["$ref"].endswith("Envelope_list_Job__")
    assert "OAuth2PasswordBearer" in document["components"]["securitySchemes"]
    docs = await client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


async def test_first_admin_from_settings(settings: ApiSettings, users: SQLiteUserStore) -> None:
    configured = settings.model_copy(
        update={"admin_username": "root", "admin_password": SecretStr("s3cret-password")}
    )
    assert await ensure_first_admin(users, configured) is None
    root = await users.get_user("root")
    assert root is not None and root.role == "admin"
    assert verify_password(root.password_hash, "s3cret-password")
    changed = configured.model_copy(update={"admin_password": SecretStr("another-password")})
    assert await ensure_first_admin(users, changed) is None
    kept = await users.get_user("root")
    assert kept is not None and verify_password(kept.password_hash, "s3cret-password")  # never overwritten


async def test_dev_mode_generates_an_admin_password_and_shows_it_once(
    make_client: AppFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    async with make_client(RecordingBus(), admin_username="devadmin", dev_mode=True):
        pass
    shown = capsys.readouterr().err
    assert "devadmin / " in shown
    password = shown.split("devadmin / ")[1].split()[0]
    async with make_client(RecordingBus(), admin_username="devadmin", dev_mode=True) as client:
        response = await client.post("/api/auth/login", data={"username": "devadmin", "password": password})
        assert response.status_code == 200
    assert "devadmin" not in capsys.readouterr().err


async def test_no_admin_created_in_production_without_a_password(
    settings: ApiSettings, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    users = SQLiteUserStore(tmp_path / "empty.sqlite3")
    await users.open()
    try:
        assert await ensure_first_admin(users, settings) is None
        assert await users.list_users() == []
        assert "SCHEDULER_ADMIN_PASSWORD" in caplog.text
        caplog.clear()
        await users.put_user(new_user("someone", "a-password", "admin"))
        await ensure_first_admin(users, settings)
        assert caplog.text == ""  # an admin exists: nothing to say
    finally:
        await users.close()


def test_settings_require_a_jwt_secret_outside_dev_mode() -> None:
    with pytest.raises(ValidationError, match="SCHEDULER_JWT_SECRET"):
        ApiSettings(_env_file=None)
    with pytest.raises(ValidationError, match="at least 32"):
        ApiSettings(jwt_secret="short", _env_file=None)
    with pytest.raises(ValidationError, match="at least 32"):
        ApiSettings(jwt_secret="short", dev_mode=True, _env_file=None)  # dev mode too
    with pytest.raises(ValidationError, match="at least 32"):
        ApiSettings(jwt_secret="é" * 15, _env_file=None)  # 15 characters, 30 bytes


def test_dev_mode_keeps_a_generated_secret_in_the_data_directory(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = ApiSettings(dev_mode=True, data_dir=data_dir, _env_file=None)
    second = ApiSettings(dev_mode=True, data_dir=data_dir, _env_file=None)
    assert len(first.jwt_key.encode()) >= 32 and first.jwt_key == second.jwt_key
    assert stat.S_IMODE((data_dir / "jwt_secret").stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEDULER_JWT_SECRET", "e" * 40)
    monkeypatch.setenv("SCHEDULER_PORT", "9000")
    monkeypatch.setenv("SCHEDULER_ADMIN_PASSWORD", "from-env-password")
    settings = ApiSettings(_env_file=None)
    assert settings.port == 9000 and settings.admin_password is not None
    assert "from-env-password" not in repr(settings)


def test_access_log_hides_stream_tokens() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "GET", "/api/scheduler/stream?job_id=a&access_token=abc.def.ghi", "1.1", 200),
        None,
    )
    assert RedactTokens().filter(record)
    assert "abc.def" not in record.getMessage() and "access_token=***" in record.getMessage()


async def test_envelope_message_is_chinese_and_timestamps_carry_the_offset(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    response = await client.get("/api/scheduler/jobs", headers=viewer)
    ok(response)
    assert response.json()["timestamp"].endswith("+08:00")
    assert app_of(client).state.api.zone.key == "Asia/Shanghai"


async def test_chunked_body_over_the_limit_is_413(
    client: httpx.AsyncClient, store: SQLiteStore, admin: dict[str, str], bus: RecordingBus
) -> None:
    await put_job(store, seed.job("quotes"))

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"kwargs": {"blob": "'
        for _ in range(70):
            yield b"x" * 1024
        yield b'"}}'

    response = await client.post(
        "/api/scheduler/jobs/quotes/trigger",
        content=chunks(),
        headers={**admin, "Content-Type": "application/json"},
    )
    assert response.status_code == 413 and "请求体过大" in response.json()["detail"]
    assert bus.published == []


async def test_display_timezone_is_configurable(
    make_client: AppFactory, store: SQLiteStore, viewer: dict[str, str]
) -> None:
    await seed.catalogue(store)
    async with make_client(RecordingBus(), timezone="UTC") as client:
        response = await client.get("/api/scheduler/jobs/quotes", headers=viewer)
    assert ok(response)["next_run_time"] == "2025-01-06T01:35:00+00:00"
    assert response.json()["timestamp"].endswith("+00:00")


async def test_store_unavailable_is_503(
    client: httpx.AsyncClient, store: SQLiteStore, viewer: dict[str, str]
) -> None:
    await store.close()
    response = await client.get("/api/scheduler/jobs", headers=viewer)
    assert response.status_code == 503 and response.json() == {"detail": "存储不可用，请稍后重试"}
    ready = await client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["store"] is False
