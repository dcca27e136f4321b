"""Sign-in, bearer tokens (expired, tampered, alg=none, wrong scheme, unknown user) and admin rights."""

from __future__ import annotations

import base64
import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import httpx
import jwt
import pytest

from infrastructure.store.sqlite_store import SQLiteStore
from tests.api import seed
from tests.api.conftest import ADMIN
from tests.api.conftest import DISABLED
from tests.api.conftest import PASSWORD
from tests.api.conftest import SECRET
from tests.api.conftest import VIEWER
from tests.api.conftest import access_token
from tests.api.conftest import app_of
from tests.api.envelope import accepted
from tests.api.envelope import error
from tests.api.envelope import ok
from tests.api.fakes import RecordingBus

MUTATIONS = [
    ("PUT", "/api/scheduler/jobs/quotes/metadata", {"display_name": "x"}),
    ("POST", "/api/scheduler/jobs/quotes/pause", None),
    ("POST", "/api/scheduler/jobs/quotes/resume", None),
    ("POST", "/api/scheduler/jobs/quotes/trigger", None),
    ("POST", "/api/scheduler/executions/e-running/cancel", None),
    ("POST", "/api/scheduler/executions/e-running/mark-failed", None),
    ("DELETE", "/api/scheduler/executions/e-success", None),
]
# Jobs as data (admin): what an admin gets from these is in `tests/api/test_job_definitions.py`.
JOB_DEFINITION_MUTATIONS = [
    ("POST", "/api/scheduler/jobs", {"id": "news_hourly", "kind": "news_sync", "trigger": "0 * * * *"}),
    ("PATCH", "/api/scheduler/jobs/quotes", {"trigger": "0 * * * *"}),
    ("DELETE", "/api/scheduler/jobs/quotes", None),
    ("POST", "/api/scheduler/jobs/quotes/reset", None),
]


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(sub: str = ADMIN, **changes: object) -> dict[str, object]:
    now = datetime.now(UTC)
    return {"sub": sub, "iat": now, "exp": now + timedelta(minutes=5), **changes}


def _tampered() -> str:
    header, _, signature = access_token(VIEWER).split(".")
    return ".".join([header, _b64({"sub": ADMIN, "iat": 1, "exp": 4102444800}), signature])


def _alg_none() -> str:
    return ".".join([_b64({"alg": "none", "typ": "JWT"}), _b64({"sub": ADMIN, "exp": 4102444800}), ""])


BAD_AUTHORIZATION = {
    "expired": "Bearer " + access_token(ADMIN, now=datetime.now(UTC) - timedelta(days=2)),
    "tampered": "Bearer " + _tampered(),
    "alg none": "Bearer " + _alg_none(),
    "other key": "Bearer " + jwt.encode(_claims(), "another-secret-" + "y" * 40, algorithm="HS256"),
    "other algorithm": "Bearer " + jwt.encode(_claims(), SECRET + "z" * 40, algorithm="HS512"),
    "no exp": "Bearer " + jwt.encode({"sub": ADMIN, "iat": 1}, SECRET, algorithm="HS256"),
    "unknown user": "Bearer " + access_token("ghost"),
    "inactive user": "Bearer " + access_token(DISABLED),
    "basic scheme": "Basic " + base64.b64encode(f"{ADMIN}:{PASSWORD}".encode()).decode(),
    "no scheme": access_token(ADMIN),
    "unknown sign-in": "Bearer " + access_token(ADMIN, family="never-started"),
    "garbage": "Bearer not.a.token",
    "empty": "Bearer ",
}


@pytest.fixture
async def catalogue(store: SQLiteStore) -> None:
    await seed.catalogue(store)


async def test_login_then_use_the_token(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/auth/login", data={"username": ADMIN, "password": PASSWORD})
    assert response.status_code == 200, response.text
    token = response.json()  # a form sign-in also gets the OAuth2 fields at the top level (/docs)
    assert token["token_type"] == "bearer" and token["expires_in"] == 15 * 60
    assert token["data"]["access_token"] == token["access_token"]
    me = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert ok(me)["username"] == ADMIN and ok(me)["role"] == "admin"


@pytest.mark.parametrize(
    ("username", "password"), [(ADMIN, "wrong"), ("ghost", PASSWORD), (DISABLED, PASSWORD)]
)
async def test_login_refused(client: httpx.AsyncClient, username: str, password: str) -> None:
    response = await client.post("/api/auth/login", data={"username": username, "password": password})
    assert error(response, 401) == "用户名或密码错误"
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_login_without_password_is_422(client: httpx.AsyncClient) -> None:
    assert "password" in error(await client.post("/api/auth/login", data={"username": ADMIN}), 422)


@pytest.mark.parametrize("case", sorted(BAD_AUTHORIZATION))
async def test_bad_tokens_are_401(client: httpx.AsyncClient, case: str) -> None:
    response = await client.get("/api/scheduler/jobs", headers={"Authorization": BAD_AUTHORIZATION[case]})
    error(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_every_scheduler_route_needs_a_token(client: httpx.AsyncClient) -> None:
    paths = {
        path: operations
        for path, operations in app_of(client).openapi()["paths"].items()
        if path.startswith("/api/scheduler")
    }
    assert len(paths) == 46  # backfills: /jobs/{job_id}/backfill, /backfills, one, its cancel
    for template, operations in paths.items():
        path = template.replace("{job_id}", "quotes").replace("{execution_id}", "e-running")
        path = path.replace("{backfill_id}", "bf" + "0" * 32)
        for method in operations:
            response = await client.request(method.upper(), path)
            assert response.status_code == 401, (method, path, response.text)


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(("method", "path", "body"), MUTATIONS + JOB_DEFINITION_MUTATIONS)
async def test_viewer_cannot_mutate(
    client: httpx.AsyncClient,
    bus: RecordingBus,
    viewer: dict[str, str],
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    response = await client.request(method, path, json=body, headers=viewer)
    assert error(response, 403) == "需要管理员权限"
    assert bus.published == []


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(("method", "path", "body"), MUTATIONS)
async def test_admin_can_mutate(
    client: httpx.AsyncClient,
    bus: RecordingBus,
    admin: dict[str, str],
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    response = await client.request(method, path, json=body, headers=admin)
    # Not applied (nothing projects the recording bus), except a resume of a job that is not paused.
    ok(response) if path.endswith("/resume") else accepted(response)
    assert len(bus.commands) == 1 and bus.commands[0].actor == ADMIN


@pytest.mark.usefixtures("catalogue")
async def test_viewer_reads(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    for path in ("/api/scheduler/jobs", "/api/scheduler/executions", "/api/scheduler/stats"):
        ok(await client.get(path, headers=viewer))
    me = ok(await client.get("/api/auth/me", headers=viewer))
    assert (me["username"], me["role"], me["is_admin"]) == (VIEWER, "viewer", False)


async def test_scheme_is_case_insensitive(client: httpx.AsyncClient) -> None:
    token = access_token(VIEWER)
    ok(await client.get("/api/scheduler/jobs", headers={"Authorization": f"bearer {token}"}))
