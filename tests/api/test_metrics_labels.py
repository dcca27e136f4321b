"""Tens of thousands of requests with made-up methods and paths: the metrics exposition keeps the same
series (labels from closed sets), so its size stays the same whatever is sent.

`.venv/bin/python -m pytest tests/api/test_metrics_labels.py -s` prints the sizes."""

from __future__ import annotations

import random
import string
from collections.abc import MutableMapping
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from services.api.metrics import OTHER_METHOD
from services.api.metrics import UNMATCHED_ROUTE
from tests.api.conftest import AppFactory
from tests.api.conftest import app_of
from tests.api.fakes import RecordingBus

REQUESTS = 20_000
METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"]


def _random_method(chance: random.Random) -> str:
    if chance.random() < 0.3:
        return chance.choice(METHODS)
    return "".join(chance.choices(string.ascii_uppercase + "-_!", k=chance.randint(1, 24)))


def _random_path(chance: random.Random) -> str:
    known = ["/healthz", "/api/scheduler/jobs", "/api/scheduler/jobs/{}", "/api/scheduler/executions/{}"]
    if chance.random() < 0.5:
        return chance.choice(known).format("".join(chance.choices(string.ascii_lowercase, k=8)))
    return "/" + "/".join(
        "".join(chance.choices(string.ascii_letters + string.digits + "%-._~", k=chance.randint(1, 12)))
        for _ in range(chance.randint(1, 5))
    )


async def _call(app: FastAPI, method: str, path: str) -> None:
    """One request straight through the ASGI app (no HTTP client: 20,000 of them stay quick)."""
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 1), "server": ("testserver", 80),
    }  # fmt: skip
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    assert sent and sent[0]["status"] < 500, (method, path, sent[:1])


def _series(exposition: str) -> set[str]:
    """Each sample's name and labels, without its value."""
    return {line.rsplit(" ", 1)[0] for line in exposition.splitlines() if line and not line.startswith("#")}


async def test_random_methods_and_paths_add_no_series(make_client: AppFactory) -> None:
    chance = random.Random(20)
    async with make_client(RecordingBus()) as client:
        app = app_of(client)
        for _ in range(1000):  # every method class, route and status seen once
            await _call(app, _random_method(chance), _random_path(chance))
        await client.get("/metrics")  # its own series too
        before = (await client.get("/metrics")).text
        for _ in range(REQUESTS - 1000):
            await _call(app, _random_method(chance), _random_path(chance))
        after = (await client.get("/metrics")).text
    print(f"\nmetrics exposition: {len(before)} bytes after 1,000 requests, {len(after)} after {REQUESTS:,}")
    assert _series(after) == _series(before)
    assert len(after) < len(before) * 1.05  # only counter values grew by a digit or two
    assert f'method="{OTHER_METHOD}"' in after and f'route="{UNMATCHED_ROUTE}"' in after
    assert "{job_id}" in after  # route templates, never raw paths


@pytest.mark.parametrize("given", [None, "Bearer wrong", "Basic bWV0cmljczp4", "Bearer "])
async def test_metrics_need_the_token_when_one_is_set(make_client: AppFactory, given: str | None) -> None:
    token = "metrics-token-" + "m" * 20
    async with make_client(RecordingBus(), metrics_token=SecretStr(token)) as client:
        headers = {"Authorization": given} if given else {}
        refused = await client.get("/metrics", headers=headers)
        assert refused.status_code == 401 and "scheduler_api" not in refused.text
        good = {"Authorization": f"Bearer {token}"}
        response = await client.get("/metrics", headers=good)
        assert response.status_code == 200 and "scheduler_api_requests_total" in response.text
