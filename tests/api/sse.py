"""A minimal ASGI client for an endless Server-Sent Events response (httpx's ASGI transport buffers the
whole body, so it cannot read a stream that never ends)."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

from starlette.types import ASGIApp
from starlette.types import Message

DEADLINE_S = 5.0


class SSEConnection:
    def __init__(
        self, app: ASGIApp, path: str, *, params: dict[str, Any] | None = None, headers: dict[str, str]
    ) -> None:
        self._scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": urlencode(params or {}, doseq=True).encode(),
            "root_path": "",
            "headers": [(name.lower().encode(), value.encode()) for name, value in headers.items()],
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
        }
        self._app = app
        self._sent: asyncio.Queue[Message] = asyncio.Queue()
        self._disconnect = asyncio.Event()
        self._request_sent = False
        self._buffer = ""
        self._task: asyncio.Task[None] | None = None
        self.status = 0
        self.headers: dict[str, str] = {}
        self.ended = False

    async def _receive(self) -> Message:
        if not self._request_sent:
            self._request_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._disconnect.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        await self._sent.put(message)

    async def _run(self) -> None:
        await self._app(self._scope, self._receive, self._send)

    async def __aenter__(self) -> SSEConnection:
        self._task = asyncio.create_task(self._run())
        async with asyncio.timeout(DEADLINE_S):
            start = await self._sent.get()
        assert start["type"] == "http.response.start", start
        self.status = start["status"]
        self.headers = {name.decode(): value.decode() for name, value in start["headers"]}
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._disconnect.set()
        assert self._task is not None
        async with asyncio.timeout(DEADLINE_S):
            await self._task

    async def _more(self) -> bool:
        if self.ended:
            return False
        async with asyncio.timeout(DEADLINE_S):
            message = await self._sent.get()
        assert message["type"] == "http.response.body", message
        self._buffer += message.get("body", b"").decode()
        self.ended = not message.get("more_body", False)
        return True

    async def body(self) -> str:
        while await self._more():
            pass
        return self._buffer

    async def next_event(self) -> dict[str, str] | None:
        """The next event block as {field: value} (comments under ":"), or None at the end."""
        while "\n\n" not in self._buffer:
            if not await self._more():
                return None
        block, self._buffer = self._buffer.split("\n\n", 1)
        fields: dict[str, str] = {}
        for line in block.splitlines():
            name, _, value = line.partition(":")
            fields[name] = (fields.get(name, "") + "\n" if name in fields else "") + value.strip()
        return fields
