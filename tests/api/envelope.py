"""Assertions on the wire shapes the web client relies on."""

from __future__ import annotations

import re
from typing import Any

import httpx

OFFSET = re.compile(r"[+-]\d\d:\d\d$")


def ok(response: httpx.Response) -> Any:
    """The `data` of a successful envelope, after checking the envelope itself."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"success", "data", "message", "timestamp"}, body
    assert body["success"] is True
    assert isinstance(body["message"], str) and body["message"]
    assert_iso_with_offset(body["timestamp"])
    return body["data"]


def accepted(response: httpx.Response) -> Any:
    """The `data` of a command's "accepted, not yet applied" answer (202, `Location`: where to look)."""
    assert response.status_code == 202, response.text
    assert response.headers["location"].startswith("/api/scheduler/"), response.headers
    body = response.json()
    assert set(body) == {"success", "data", "message", "timestamp"}, body
    assert body["success"] is True
    assert response.headers["location"] in body["message"], body
    return body["data"]


def error(response: httpx.Response, status: int) -> str:
    """The `detail` text of an error answer with this status."""
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and detail
    return detail


def assert_iso_with_offset(value: str, offset: str | None = None) -> None:
    assert OFFSET.search(value), f"{value!r} has no UTC offset"
    if offset is not None:
        assert value.endswith(offset), value
