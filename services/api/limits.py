"""A cap on request bodies: answered 413 with the usual `{detail}` before anything is parsed.

(FastAPI's own `max_body_size` answers plain text when `Content-Length` is over the cap; the web client
expects JSON errors.)
"""

from __future__ import annotations

from fastapi import HTTPException
from fastapi import status
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp
from starlette.types import Message
from starlette.types import Receive
from starlette.types import Scope
from starlette.types import Send

from services.api.http_middleware import HttpMiddleware
from services.api.messages import text


def _too_large(limit: int) -> str:
    return text("body_too_large", limit=limit)


class BodyLimitMiddleware(HttpMiddleware):
    """Refuses a request body larger than `max_body_bytes` (413), declared or sent."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        super().__init__(app)
        self.max_body_bytes = max_body_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, answering 413 if its body is, or turns out, too large."""
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            response = JSONResponse({"detail": _too_large(self.max_body_bytes)}, status_code=413)
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            # Bodies without a length (chunked) are counted as they arrive; the exception reaches the
            # route's body parsing, which lets HTTP errors through to the `{detail}` handler.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise HTTPException(
                        status.HTTP_413_CONTENT_TOO_LARGE, detail=_too_large(self.max_body_bytes)
                    )
            return message

        await self.app(scope, limited_receive, send)
