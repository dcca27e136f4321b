"""The platform web client's calls in its order, against the embedded system and against RabbitMQ:
sign in by JSON, the list, a command, the reload, a 401 answered by a refresh and a retry, sign out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import httpx
import jwt
import pytest

from infrastructure.bus.rabbitmq_bus import RabbitMQBus
from infrastructure.store.sqlite_store import SQLiteStore
from services.api.app import create_app
from services.api.auth import new_user
from services.api.tokens import issue_token
from services.embedded.system import EmbeddedSystem
from tests.api import seed
from tests.api.client_calls import WebClient
from tests.api.client_calls import envelope
from tests.api.conftest import ADMIN
from tests.api.conftest import PASSWORD
from tests.api.conftest import SECRET
from tests.api.conftest import AppFactory
from tests.jobs import embedded_settings
from tests.rabbitmq import RabbitMQVhost
from tests.rabbitmq import delete_all_queues

JOBS = "/api/scheduler/jobs"


def expired_copy(token: str, key: str) -> str:
    """The same sign-in's access token, expired: what the client holds after a quiet hour."""
    claims = jwt.decode(token, key, algorithms=["HS256"])
    expired, _ = issue_token(
        claims["sub"],
        key,
        family=claims["fam"],
        lifetime=timedelta(minutes=1),
        now=datetime.now(UTC) - timedelta(hours=1),
    )
    return expired


async def replay(http: httpx.AsyncClient, key: str, job_id: str, *, projected: bool) -> None:
    """`projected`: a projector applies the commands (the reload then shows them; the answer says so)."""
    client = WebClient(http)
    session = await client.login(ADMIN, PASSWORD)
    assert session["user"] == {"id": ADMIN, "username": ADMIN, "email": "", "name": ADMIN, "is_admin": True}
    assert session["expires_in"] == 15 * 60
    me = envelope(await client.call("GET", "/api/auth/me"))["data"]
    assert me["roles"] == ["admin"] and me["preferences"] == {}
    listed = envelope(await client.call("GET", JOBS))["data"]
    assert job_id in {job["id"] for job in listed}
    envelope(await client.call("POST", f"{JOBS}/{job_id}/pause"), 200 if projected else 202)
    reloaded = envelope(await client.call("GET", JOBS))["data"]  # the reload right after the command
    if projected:
        assert next(job for job in reloaded if job["id"] == job_id)["paused"] is True
    first_refresh = client.refresh_token
    client.access_token = expired_copy(client.access_token, key)
    envelope(await client.call("GET", JOBS))  # 401, refresh, retried
    assert client.refreshes == 1 and client.refresh_token != first_refresh
    old_access, old_refresh = client.access_token, client.refresh_token
    await client.logout()
    after = await http.get(JOBS, headers={"Authorization": f"Bearer {old_access}"})
    assert envelope(after, 401)["message"] == "认证令牌已被撤销，请重新登录"
    refused = await http.post("/api/auth/refresh", json={"refresh_token": old_refresh})
    envelope(refused, 401)


@pytest.fixture
async def embedded(tmp_path: Path) -> AsyncIterator[EmbeddedSystem]:
    settings = embedded_settings(data_dir=tmp_path, bus="memory", store="sqlite", admin_username=ADMIN)
    system = EmbeddedSystem(settings)
    await system.start()
    try:
        await system.users.put_user(new_user(ADMIN, PASSWORD, "admin"))
        yield system
    finally:
        await system.stop()


async def test_the_client_against_the_embedded_system(embedded: EmbeddedSystem) -> None:
    app = create_app(settings=embedded.settings, store=embedded.store, bus=embedded.bus, users=embedded.users)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
    ):
        await replay(http, embedded.settings.jwt_key, "pipeline_canary", projected=True)


@pytest.mark.integration
async def test_the_client_against_rabbitmq(
    make_client: AppFactory, store: SQLiteStore, rabbitmq_vhost: RabbitMQVhost
) -> None:
    await delete_all_queues(rabbitmq_vhost)
    await seed.catalogue(store)
    bus = RabbitMQBus(rabbitmq_vhost.url, connection_name="test web client", reconnect_interval=0.5)
    await bus.start()
    try:
        async with make_client(bus) as http:
            await replay(http, SECRET, "quotes", projected=False)  # a bare broker: nothing applies it
    finally:
        await bus.close()
