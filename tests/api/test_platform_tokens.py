"""Platform mode: the platform's own tokens (minted here exactly as the platform mints them: HS256 with
`sub` and `exp` only) and its `users` collection, read through our MongoDB adapter (emulated)."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from pymongo_async_mock import AsyncMongoMockClient

from infrastructure.bus.port import Bus
from infrastructure.bus.rabbitmq_bus import RabbitMQBus
from infrastructure.store.mongo_platform_users import MongoPlatformUsers
from infrastructure.store.sqlite_store import SQLiteStore
from infrastructure.store.sqlite_users import SQLiteUserStore
from services.api.app import create_app
from services.api.settings import ApiSettings
from tests.api import seed
from tests.api.client_calls import WebClient
from tests.api.client_calls import envelope
from tests.api.fakes import RecordingBus
from tests.rabbitmq import RabbitMQVhost
from tests.rabbitmq import delete_all_queues
from tests.waiting import wait_until

PLATFORM_SECRET = "platform-jwt-secret-" + "p" * 50
JOBS = "/api/scheduler/jobs"
Document = dict[str, Any]


def platform_token(
    sub: str | None, *, minutes: float = 60, secret: str = PLATFORM_SECRET, **extra: Any
) -> str:
    """As the platform's AuthService.create_access_token: {"sub", "exp"} signed HS256 with JWT_SECRET."""
    payload: dict[str, Any] = {"exp": datetime.now(UTC) + timedelta(minutes=minutes), **extra}
    if sub is not None:
        payload["sub"] = sub
    return jwt.encode(payload, secret, algorithm="HS256")


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


PLATFORM_USERS: list[dict[str, Any]] = [
    {
        "username": "admin",
        "email": "admin@example.com",
        "hashed_password": "x",
        "is_admin": True,
        "is_active": True,
    },
    {
        "username": "analyst",
        "email": "a@example.com",
        "hashed_password": "x",
        "is_admin": False,
        "is_active": True,
    },
    {
        "username": "gone",
        "email": "g@example.com",
        "hashed_password": "x",
        "is_admin": True,
        "is_active": False,
    },
    {"username": "odd", "email": "o@example.com", "hashed_password": "x", "is_admin": "yes"},
]


@pytest.fixture
async def platform_db() -> AsyncMongoMockClient:
    client = AsyncMongoMockClient(tz_aware=True)
    await client["tradingagents"]["users"].insert_many([dict(user) for user in PLATFORM_USERS])
    return client


@pytest.fixture
def platform_settings(settings: ApiSettings) -> ApiSettings:
    return ApiSettings(
        data_dir=settings.data_dir,
        auth_mode="platform",
        platform_jwt_secret=PLATFORM_SECRET,
        platform_users_cache_s=0.5,
        _env_file=None,
    )


async def _client(
    platform_settings: ApiSettings, store: SQLiteStore, users: SQLiteUserStore, platform_db: Any, bus: Bus
) -> AsyncIterator[httpx.AsyncClient]:
    directory = MongoPlatformUsers(platform_db["tradingagents"])
    app = create_app(settings=platform_settings, store=store, bus=bus, users=users, platform_users=directory)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
    ):
        yield http


@pytest.fixture
async def client(
    platform_settings: ApiSettings, store: SQLiteStore, users: SQLiteUserStore, platform_db: Any
) -> AsyncIterator[httpx.AsyncClient]:
    await seed.catalogue(store)
    async for http in _client(platform_settings, store, users, platform_db, RecordingBus()):
        yield http


async def _replay_with_platform_tokens(http: httpx.AsyncClient) -> None:
    client = WebClient(http, access_token=platform_token("admin"))
    me = envelope(await client.call("GET", "/api/auth/me"))["data"]
    assert (me["username"], me["is_admin"], me["roles"]) == ("admin", True, ["admin"])
    assert "quotes" in {job["id"] for job in envelope(await client.call("GET", JOBS))["data"]}
    # Nothing projects the commands here (no scheduler, no projector): accepted, not yet applied.
    envelope(await client.call("POST", f"{JOBS}/quotes/pause"), 202)
    envelope(await client.call("GET", JOBS))
    # The platform's own sign-in, refresh and sign-out: not ours in this mode.
    for path in ("/api/auth/login", "/api/auth/refresh"):
        assert envelope(await http.post(path, json={}), 404)["message"]


async def test_the_client_with_platform_tokens(client: httpx.AsyncClient) -> None:
    await _replay_with_platform_tokens(client)


@pytest.mark.integration
async def test_the_client_with_platform_tokens_on_rabbitmq(
    platform_settings: ApiSettings,
    store: SQLiteStore,
    users: SQLiteUserStore,
    platform_db: Any,
    rabbitmq_vhost: RabbitMQVhost,
) -> None:
    await delete_all_queues(rabbitmq_vhost)
    await seed.catalogue(store)
    bus = RabbitMQBus(rabbitmq_vhost.url, connection_name="test platform tokens", reconnect_interval=0.5)
    await bus.start()
    try:
        async for http in _client(platform_settings, store, users, platform_db, bus):
            await _replay_with_platform_tokens(http)
    finally:
        await bus.close()


async def test_roles_from_the_users_collection(client: httpx.AsyncClient) -> None:
    viewer = {"Authorization": f"Bearer {platform_token('analyst')}"}
    envelope(await client.get(JOBS, headers=viewer))
    assert (
        envelope(await client.post(f"{JOBS}/quotes/pause", headers=viewer), 403)["message"]
        == "需要管理员权限"
    )
    odd = {"Authorization": f"Bearer {platform_token('odd')}"}  # no is_active, a non-boolean is_admin
    envelope(await client.get(JOBS, headers=odd), 401)


BAD_TOKENS = {
    "bad signature": platform_token("admin", secret="another-secret-" + "q" * 40),
    "expired": platform_token("admin", minutes=-5),
    "no exp": jwt.encode({"sub": "admin"}, PLATFORM_SECRET, algorithm="HS256"),
    "alg none": ".".join(
        [_b64({"alg": "none", "typ": "JWT"}), _b64({"sub": "admin", "exp": 4102444800}), ""]
    ),
    "other alg": jwt.encode({"sub": "admin", "exp": 4102444800}, PLATFORM_SECRET, algorithm="HS512"),
    "no sub": platform_token(None),
    "sub not a string": jwt.encode({"sub": 42, "exp": 4102444800}, PLATFORM_SECRET, algorithm="HS256"),
    "unknown user": platform_token("nobody"),
    "inactive user": platform_token("gone"),
    "our own kind": "not.a.jwt",
}


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
async def test_bad_platform_tokens(client: httpx.AsyncClient, case: str) -> None:
    response = await client.get(JOBS, headers={"Authorization": f"Bearer {BAD_TOKENS[case]}"})
    envelope(response, 401)


async def test_a_disabled_platform_user_is_refused_within_the_cache_time(
    client: httpx.AsyncClient, platform_db: Any
) -> None:
    headers = {"Authorization": f"Bearer {platform_token('analyst')}"}
    envelope(await client.get(JOBS, headers=headers))
    await platform_db["tradingagents"]["users"].update_one(
        {"username": "analyst"}, {"$set": {"is_active": False}}
    )

    async def refused() -> bool:
        return (await client.get(JOBS, headers=headers)).status_code == 401

    await wait_until(refused, timeout=5, interval=0.1, message="disabled platform user refused")


def test_platform_mode_needs_a_long_platform_secret() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="SCHEDULER_PLATFORM_JWT_SECRET"):
        ApiSettings(auth_mode="platform", _env_file=None)
    with pytest.raises(ValidationError, match="at least 32"):
        ApiSettings(auth_mode="platform", platform_jwt_secret="short", _env_file=None)
    ApiSettings(auth_mode="platform", platform_jwt_secret=PLATFORM_SECRET, _env_file=None)
