"""The API against a real SQLite store in tmp_path and a recording bus, called as the web client does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from contextlib import asynccontextmanager
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from infrastructure.bus.port import Bus
from infrastructure.store.bulk_actions_port import BulkActionStore
from infrastructure.store.run_logs_port import MemoryRunLogs
from infrastructure.store.sqlite_store import SQLiteStore
from infrastructure.store.sqlite_users import SQLiteUserStore
from infrastructure.store.users_port import UserRecord
from services.api.app import create_app
from services.api.auth import new_user
from services.api.settings import ApiSettings
from services.api.tokens import issue_token
from tests.api.fakes import RecordingBus

SECRET = "test-secret-" + "x" * 40
ADMIN, VIEWER, DISABLED = "alice", "victor", "dora"
PASSWORD = "correct horse battery staple"
ONE_DAY = timedelta(days=1)

AppFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def settings(tmp_path: Path) -> ApiSettings:
    return ApiSettings(
        data_dir=tmp_path,
        jwt_secret=SECRET,
        admin_username=ADMIN,
        timezone="Asia/Shanghai",
        # Nothing projects what the recording bus takes: a command's answer would wait its whole budget.
        command_wait_s=0.05,
        _env_file=None,
    )


@pytest.fixture
async def store(settings: ApiSettings) -> AsyncIterator[SQLiteStore]:
    sqlite = SQLiteStore(settings.sqlite_file)
    await sqlite.open()
    try:
        yield sqlite
    finally:
        await sqlite.close()


@pytest.fixture(scope="session")
def accounts() -> list[UserRecord]:
    """Hashed once per session: argon2 is slow on purpose."""
    disabled = new_user(DISABLED, PASSWORD, "admin").model_copy(update={"active": False})
    return [new_user(ADMIN, PASSWORD, "admin"), new_user(VIEWER, PASSWORD, "viewer"), disabled]


@pytest.fixture
async def users(settings: ApiSettings, accounts: list[UserRecord]) -> AsyncIterator[SQLiteUserStore]:
    store = SQLiteUserStore(settings.sqlite_file)
    await store.open()
    for account in accounts:
        await store.put_user(account)
        await store.start_family(family_of(account.username), account.username, datetime.now(UTC) + ONE_DAY)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
def bus() -> RecordingBus:
    return RecordingBus()


@pytest.fixture
def run_log_store() -> MemoryRunLogs:
    return MemoryRunLogs()


@pytest.fixture
def make_client(
    settings: ApiSettings, store: SQLiteStore, users: SQLiteUserStore, run_log_store: MemoryRunLogs
) -> AppFactory:
    """An HTTP client on a fresh app (lifespan run) over the given bus."""

    @asynccontextmanager
    async def client_for(
        bus: Bus, *, bulk_actions: BulkActionStore | None = None, **overrides: object
    ) -> AsyncIterator[httpx.AsyncClient]:
        app_settings = settings.model_copy(update=overrides) if overrides else settings
        app = create_app(
            settings=app_settings,
            store=store,
            bus=bus,
            users=users,
            run_log_store=run_log_store,
            bulk_actions=bulk_actions,
        )
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
        ):
            client.app = app  # type: ignore[attr-defined]
            yield client

    return client_for


@pytest.fixture
async def client(make_client: AppFactory, bus: RecordingBus) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(bus) as http:
        yield http


def app_of(client: httpx.AsyncClient) -> FastAPI:
    app: FastAPI = client.app  # type: ignore[attr-defined]
    return app


def family_of(username: str) -> str:
    """The sign-in the `users` fixture starts for each seeded account (tokens of `bearer`)."""
    return f"test-family-{username}"


def access_token(username: str, *, now: datetime | None = None, family: str | None = None) -> str:
    token, _ = issue_token(
        username, SECRET, family=family or family_of(username), lifetime=timedelta(minutes=15), now=now
    )
    return token


def bearer(username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token(username)}"}


@pytest.fixture
def admin() -> dict[str, str]:
    return bearer(ADMIN)


@pytest.fixture
def viewer() -> dict[str, str]:
    return bearer(VIEWER)
