"""Security headers on every kind of answer, and tokens in query strings kept out of the logs."""

from __future__ import annotations

import logging

import httpx
import pytest

from infrastructure.log_redaction import RedactTokens
from infrastructure.log_redaction import redact
from services.api.security_headers import SECURITY_HEADERS

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/api/scheduler/jobs", 200),
        ("GET", "/api/scheduler/jobs/missing", 404),
        ("GET", "/api/scheduler/executions?limit=-1", 422),
        ("GET", "/api/scheduler/jobs", 401),
        ("GET", "/", 200),
        ("GET", "/console/app.js", 200),
        ("GET", "/docs", 200),
        ("GET", "/docs/assets/swagger-ui-bundle.js", 200),
        ("GET", "/openapi.json", 200),
        ("GET", "/metrics", 200),
        ("GET", "/no/such/path", 404),
        ("BREW", "/healthz", 405),
    ],
)
async def test_every_answer_carries_the_security_headers(
    client: httpx.AsyncClient, viewer: dict[str, str], method: str, path: str, status: int
) -> None:
    headers = {} if status == 401 else viewer
    response = await client.request(method, path, headers=headers)
    assert response.status_code == status
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value, name
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    if status >= 400:
        assert "Traceback" not in response.text and 'File "' not in response.text


async def test_docs_need_nothing_from_elsewhere(client: httpx.AsyncClient) -> None:
    page = (await client.get("/docs")).text
    assert "<script>" not in page and "http" not in page.replace("http-equiv", "")
    for asset in ("/docs/assets/swagger-ui.css", "/docs/assets/swagger-ui-bundle.js", "/docs/start.js"):
        assert (await client.get(asset)).status_code == 200, asset


@pytest.mark.parametrize(
    "path",
    [
        f"/api/scheduler/stream?access_token={TOKEN}",
        f"/api/scheduler/stream?job_id=a&access_token={TOKEN}&x=1",
        f"/api/scheduler/stream?access%5Ftoken={TOKEN}",
        f"/api/scheduler/stream?%61ccess_token%3D{TOKEN}",
        f"/api/scheduler/stream%3Faccess_token%3D{TOKEN}",
        f"/api/scheduler/stream?access%255Ftoken%253D{TOKEN}",
        f"/api/scheduler/stream?ACCESS_TOKEN={TOKEN}",
        f"/api/scheduler/stream?access_token={TOKEN[:20]}%2E{TOKEN[21:]}",
    ],
)
def test_tokens_in_query_strings_never_reach_the_access_log(path: str) -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "GET", path, "1.1", 200), None,
    )  # fmt: skip
    assert RedactTokens().filter(record)
    line = record.getMessage()
    assert TOKEN[:20] not in line and "eyJzdWIi" not in line, line
    assert "=***" in line


def test_other_query_strings_are_left_as_they_are() -> None:
    assert redact("GET /api/scheduler/executions?job_id=a&limit=5 HTTP/1.1") == (
        "GET /api/scheduler/executions?job_id=a&limit=5 HTTP/1.1"
    )
