"""CORS for the web client's headers, request ids on every answer and log line, live-stream caps, and the
end of a disabled user's open stream."""

from __future__ import annotations

import logging
from datetime import UTC
from datetime import datetime

import httpx
import pytest

from infrastructure.process import RunFieldsFormatter
from infrastructure.store.sqlite_users import SQLiteUserStore
from services.api.request_id import RequestIdFilter
from tests.api.client_calls import envelope
from tests.api.conftest import VIEWER
from tests.api.conftest import AppFactory
from tests.api.conftest import app_of
from tests.api.conftest import bearer
from tests.api.fakes import RecordingBus
from tests.api.sse import SSEConnection
from tests.waiting import wait_until

ORIGIN = "http://platform.example"
CLIENT_HEADERS = "authorization, content-type, accept-language, cache-control, pragma, x-request-id"
STREAM = "/api/scheduler/stream"


async def test_preflight_allows_the_client_headers(make_client: AppFactory) -> None:
    async with make_client(RecordingBus(), cors_origins=[ORIGIN]) as client:
        preflight = await client.options(
            "/api/scheduler/jobs",
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": CLIENT_HEADERS,
            },
        )
        assert preflight.status_code == 200, preflight.text
        allowed = {
            name.strip().lower() for name in preflight.headers["access-control-allow-headers"].split(",")
        }
        assert set(CLIENT_HEADERS.split(", ")) <= allowed
        assert preflight.headers["access-control-allow-origin"] == ORIGIN
        answer = await client.get("/api/health", headers={"Origin": ORIGIN, "X-Request-ID": "req_1_abc"})
        assert answer.headers["access-control-expose-headers"] == "X-Request-ID"
        assert answer.headers["x-request-id"] == "req_1_abc"
        other = await client.options(
            "/api/scheduler/jobs",
            headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"},
        )
        assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("req_1700000000000_k3j5h6g7f", True), ("a" * 129, False), ("bad id", False), ("x\u00e9", False)],
)
async def test_request_id_echoed_or_replaced(client: httpx.AsyncClient, sent: str, kept: bool) -> None:
    answer = await client.get("/api/auth/me", headers={b"X-Request-ID": sent.encode()})
    assert answer.status_code == 401  # error answers carry it too
    returned = answer.headers["x-request-id"]
    assert (returned == sent) is kept
    assert 1 <= len(returned) <= 128


async def test_a_new_request_id_when_none_is_sent(client: httpx.AsyncClient) -> None:
    first, second = (await client.get("/api/health")).headers, (await client.get("/api/health")).headers
    assert len(first["x-request-id"]) == 32 and first["x-request-id"] != second["x-request-id"]


def test_the_log_format_shows_the_request_id() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    record.request_id = "req_1_abc"
    assert RunFieldsFormatter("%(message)s").format(record) == "hello [request_id=req_1_abc]"


async def test_stream_caps_per_user_and_total(make_client: AppFactory) -> None:
    async with make_client(RecordingBus(), stream_max_clients_per_user=2, stream_max_clients=3) as client:
        app = app_of(client)
        viewer = bearer(VIEWER)
        async with (
            SSEConnection(app, STREAM, headers=viewer) as one,
            SSEConnection(app, STREAM, headers=viewer) as two,
        ):
            assert one.status == two.status == 200
            async with SSEConnection(app, STREAM, headers=viewer) as third:
                assert third.status == 429 and third.headers["retry-after"] == "5"
                assert "2" in (await third.body())
            async with SSEConnection(app, STREAM, headers=bearer("alice")) as other:
                assert other.status == 200
                async with SSEConnection(app, STREAM, headers=bearer("alice")) as fourth:
                    assert fourth.status == 429  # the total cap
        limits = app.state.api.stream_limits
        await wait_until(lambda: limits.open_count == 0, message="slots given back")


async def test_a_disabled_user_s_stream_ends_within_seconds(
    make_client: AppFactory, users: SQLiteUserStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO, logger="services.api.stream_limits")
    headers = {**bearer(VIEWER), "X-Request-ID": "req-stream-1"}
    async with make_client(RecordingBus(), stream_auth_check_s=0.2) as client:
        async with SSEConnection(app_of(client), STREAM, headers=headers) as sse:
            assert (await sse.next_event() or {}).get("") == "connected"
            account = await users.get_user(VIEWER)
            assert account is not None
            now = datetime.now(UTC)
            await users.put_user(account.model_copy(update={"active": False, "tokens_valid_after": now}))
            revoked = await sse.next_event()
            assert revoked is not None and revoked["event"] == "revoked", revoked
            assert await sse.next_event() is None  # and the stream is over
        envelope(await client.get("/api/auth/me", headers=bearer(VIEWER)), 401)
    [ended] = [record for record in caplog.records if "live stream of victor ended" in record.getMessage()]
    assert getattr(ended, "request_id", None) == "req-stream-1"  # the log line carries the request id
