"""The platform web client's calls, in its order: sign in by JSON, the list, a command, refresh when a call
answers 401 (then retry it), sign out. Shared by the embedded, RabbitMQ and platform-token tests."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any

import httpx

CLIENT_HEADERS = {"Accept-Language": "zh-CN", "Cache-Control": "no-cache", "Pragma": "no-cache"}


@dataclass
class WebClient:
    """What the client's axios instance and auth store do with tokens."""

    http: httpx.AsyncClient
    access_token: str = ""
    refresh_token: str = ""
    refreshes: int = 0
    request_ids: list[str] = field(default_factory=list)

    def _headers(self) -> dict[str, str]:
        request_id = f"req_{len(self.request_ids)}_abc123def"
        self.request_ids.append(request_id)
        headers = {**CLIENT_HEADERS, "X-Request-ID": request_id}
        if self.access_token:
            headers["Authorization"] = f"Bearer {self.access_token}"
        return headers

    async def login(self, username: str, password: str) -> dict[str, Any]:
        response = await self.http.post(
            "/api/auth/login", json={"username": username, "password": password}, headers=self._headers()
        )
        body = envelope(response)
        self.access_token = body["data"]["access_token"]
        self.refresh_token = body["data"]["refresh_token"]
        return dict(body["data"])

    async def call(self, method: str, path: str, **options: Any) -> httpx.Response:
        """One call; on 401, refresh once and retry (as the client's response interceptor does)."""
        response = await self.http.request(method, path, headers=self._headers(), **options)
        assert response.headers["X-Request-ID"] == self.request_ids[-1]
        if response.status_code != 401 or not self.refresh_token:
            return response
        refreshed = await self.http.post(
            "/api/auth/refresh", json={"refresh_token": self.refresh_token}, headers=self._headers()
        )
        data = envelope(refreshed)["data"]
        self.access_token, self.refresh_token = data["access_token"], data["refresh_token"]
        self.refreshes += 1
        return await self.http.request(method, path, headers=self._headers(), **options)

    async def logout(self) -> None:
        envelope(await self.call("POST", "/api/auth/logout"))
        self.access_token = self.refresh_token = ""


def envelope(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["success"] is (status < 400), body
    assert isinstance(body["message"], str) and body["message"]
    assert "timestamp" in body and "data" in body
    return body
