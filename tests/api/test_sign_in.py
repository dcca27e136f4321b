"""Sign-in, refresh and sign-out: the wire format, bad bodies, refresh rotation and reuse, attempt limits,
the hashing pool, and what a password reset or a disabled account does to tokens already issued."""

from __future__ import annotations

import asyncio
import io
import threading
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import httpx
import pytest

from infrastructure.store.sqlite_users import SQLiteUserStore
from services.api import users_cli
from services.api.app import create_app
from services.api.settings import ApiSettings
from services.api.tokens import issue_token
from tests.api.client_calls import envelope
from tests.api.conftest import ADMIN
from tests.api.conftest import DISABLED
from tests.api.conftest import PASSWORD
from tests.api.conftest import SECRET
from tests.api.conftest import VIEWER
from tests.api.conftest import AppFactory
from tests.api.conftest import app_of
from tests.api.fakes import RecordingBus

LOGIN, REFRESH, LOGOUT, ME = "/api/auth/login", "/api/auth/refresh", "/api/auth/logout", "/api/auth/me"


async def sign_in(client: httpx.AsyncClient, username: str = ADMIN) -> dict[str, Any]:
    data: dict[str, Any] = envelope(
        await client.post(LOGIN, json={"username": username, "password": PASSWORD})
    )["data"]
    return data


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_wrong_password_in_both_languages(client: httpx.AsyncClient) -> None:
    wrong = {"username": ADMIN, "password": "nope"}
    zh = envelope(await client.post(LOGIN, json=wrong), 401)
    assert zh["message"] == "用户名或密码错误" and zh["data"] is None and zh["code"] == 401
    en = envelope(await client.post(LOGIN, json=wrong, headers={"Accept-Language": "en-US,en;q=0.9"}), 401)
    assert en["message"] == "Invalid username or password"


async def test_health_probe_needs_no_token(client: httpx.AsyncClient) -> None:
    body = envelope(await client.get("/api/health"))
    assert body["data"] == {"status": "ok"}


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"username=alice&password=x", "text/plain", 415),
        (b"", "", 415),
        (b"{not json", "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b"[1, 2]", "application/json", 422),
        (b'"alice"', "application/json", 422),
        (b'{"username": "alice"}', "application/json", 422),
        (b'{"username": 1, "password": 2}', "application/json", 422),
        (b'{"username": "' + b"a" * 65 + b'", "password": "x"}', "application/json", 422),
        (b"[" * 5000 + b"]" * 5000, "application/json", 400),
        (b"username=alice", "application/x-www-form-urlencoded", 422),
        (b"--x\r\nbroken", "multipart/form-data; boundary=x", 422),
    ],
)
async def test_bad_sign_in_bodies(
    client: httpx.AsyncClient, content: bytes, content_type: str, status: int
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await client.post(LOGIN, content=content, headers=headers)
    assert response.status_code == status, response.text
    envelope(response, status)


async def test_refresh_rotates_and_a_reuse_revokes_the_sign_in(client: httpx.AsyncClient) -> None:
    session = await sign_in(client)
    rotated = envelope(await client.post(REFRESH, json={"refresh_token": session["refresh_token"]}))["data"]
    assert set(rotated) == {"access_token", "refresh_token", "token_type", "expires_in"}
    envelope(await client.get(ME, headers=auth(rotated["access_token"])))
    # The first refresh token again: stolen, or replayed; the whole sign-in ends.
    reused = envelope(await client.post(REFRESH, json={"refresh_token": session["refresh_token"]}), 401)
    assert "已被使用" in reused["message"]
    envelope(await client.get(ME, headers=auth(rotated["access_token"])), 401)
    envelope(await client.post(REFRESH, json={"refresh_token": rotated["refresh_token"]}), 401)


async def test_concurrent_refreshes_rotate_once(client: httpx.AsyncClient) -> None:
    session = await sign_in(client)
    answers = await asyncio.gather(
        *(client.post(REFRESH, json={"refresh_token": session["refresh_token"]}) for _ in range(5))
    )
    assert sorted(answer.status_code for answer in answers) == [200, 401, 401, 401, 401]


def _refresh_token(username: str, **changes: Any) -> str:
    options: dict[str, Any] = {"family": "no-such-family", "lifetime": timedelta(days=1)} | changes
    token, _ = issue_token(username, SECRET, token_type="refresh", **options)
    return token


@pytest.mark.parametrize(
    "body",
    [
        {"refresh_token": "garbage"},
        {"refresh_token": _refresh_token(ADMIN)},  # never issued
        {"refresh_token": _refresh_token(ADMIN, now=datetime.now(UTC) - timedelta(days=2))},  # expired
        {"refresh_token": "x" * 5000},
        {},
        {"refresh_token": None},
    ],
)
async def test_bad_refresh_tokens(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await client.post(REFRESH, json=body)
    assert response.status_code in (401, 422), response.text
    envelope(response, response.status_code)


async def test_an_access_token_is_no_refresh_token_and_back(client: httpx.AsyncClient) -> None:
    session = await sign_in(client)
    envelope(await client.post(REFRESH, json={"refresh_token": session["access_token"]}), 401)
    envelope(await client.get(ME, headers=auth(session["refresh_token"])), 401)


async def test_logout_revokes_and_other_sign_ins_go_on(client: httpx.AsyncClient) -> None:
    first, second = await sign_in(client), await sign_in(client)
    assert envelope(await client.post(LOGOUT, headers=auth(first["access_token"])))["data"] == {}
    envelope(await client.get(ME, headers=auth(first["access_token"])), 401)
    envelope(await client.post(REFRESH, json={"refresh_token": first["refresh_token"]}), 401)
    envelope(await client.get(ME, headers=auth(second["access_token"])))


@pytest.mark.parametrize(
    "command",
    [
        ["reset-password", VIEWER, "--password-stdin"],
        ["disable", VIEWER],
        ["set-role", VIEWER, "--role", "admin"],
    ],
)
async def test_reset_disable_or_role_change_revoke_earlier_tokens(
    client: httpx.AsyncClient, users: SQLiteUserStore, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    session = await sign_in(client, VIEWER)
    monkeypatch.setattr("sys.stdin", io.StringIO("a-new-password\n"))
    await users_cli.run(users_cli._parser().parse_args(command), users)
    envelope(await client.get(ME, headers=auth(session["access_token"])), 401)
    envelope(await client.post(REFRESH, json={"refresh_token": session["refresh_token"]}), 401)


async def test_attempts_limited_per_username(make_client: AppFactory) -> None:
    async with make_client(RecordingBus(), login_attempts_per_username=3) as client:
        for _ in range(3):
            envelope(await client.post(LOGIN, json={"username": VIEWER, "password": "guess"}), 401)
        limited = await client.post(LOGIN, json={"username": VIEWER, "password": PASSWORD})
        body = envelope(limited, 429)
        assert (
            1 <= int(limited.headers["Retry-After"]) <= 60
            and limited.headers["Retry-After"] in body["message"]
        )
        await sign_in(client, ADMIN)  # another user is not locked out


async def test_attempts_limited_per_address(make_client: AppFactory) -> None:
    async with make_client(RecordingBus(), login_attempts_per_address=4) as client:
        for index in range(4):
            envelope(await client.post(LOGIN, json={"username": f"user{index}", "password": "guess"}), 401)
        envelope(await client.post(LOGIN, json={"username": ADMIN, "password": PASSWORD}), 429)


async def test_unknown_and_disabled_users_cost_one_hash_check(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same work whether or not the user exists (so the time says nothing): one argon2 verify each."""
    from services.api import auth
    from services.api import login_guard

    checked: list[str] = []
    real = auth.verify_password  # what the guard calls

    def spy(password_hash: str, password: str) -> bool:
        checked.append(password_hash[:9])
        return real(password_hash, password)

    monkeypatch.setattr(login_guard, "verify_password", spy)
    for username in (ADMIN, "ghost", DISABLED):
        envelope(await client.post(LOGIN, json={"username": username, "password": "wrong-one"}), 401)
    assert checked == ["$argon2id"] * 3


async def test_a_full_hashing_pool_answers_503_at_once(make_client: AppFactory) -> None:
    async with make_client(RecordingBus(), password_hash_workers=1, password_hash_queue=0) as client:
        guard = app_of(client).state.api.login_guard
        await guard.prepare()
        started, release = threading.Event(), threading.Event()

        def occupy() -> None:  # holds the only worker until released
            started.set()
            release.wait(timeout=30)

        occupying = asyncio.create_task(guard.pool.run(occupy))
        await asyncio.to_thread(started.wait, 10)
        try:
            busy = await client.post(LOGIN, json={"username": ADMIN, "password": PASSWORD})
            body = envelope(busy, 503)
            assert busy.headers["Retry-After"] == "1" and body["message"]
        finally:
            release.set()
            await occupying
        await sign_in(client)  # and it serves again once the worker is free


async def test_two_api_processes_share_the_revocation_state(
    make_client: AppFactory, settings: ApiSettings, users: SQLiteUserStore
) -> None:
    """Two apps, each with its own connection to the database file (as two API processes have)."""
    other_users = SQLiteUserStore(settings.sqlite_file)
    await other_users.open()
    try:
        async with make_client(RecordingBus()) as first:
            other_app = create_app(
                settings=settings, store=app_of(first).state.api.store, bus=RecordingBus(), users=other_users
            )
            transport = httpx.ASGITransport(app=other_app)
            async with (
                other_app.router.lifespan_context(other_app),
                httpx.AsyncClient(transport=transport, base_url="http://other") as second,
            ):
                session = await sign_in(first)
                rotated = envelope(
                    await second.post(REFRESH, json={"refresh_token": session["refresh_token"]})
                )
                envelope(await first.post(REFRESH, json={"refresh_token": session["refresh_token"]}), 401)
                envelope(
                    await second.get(ME, headers=auth(rotated["data"]["access_token"])), 401
                )  # reuse seen
                again = await sign_in(second)
                envelope(await first.post(LOGOUT, headers=auth(again["access_token"])))
                envelope(await second.get(ME, headers=auth(again["access_token"])), 401)
    finally:
        await other_users.close()
