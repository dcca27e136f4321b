"""The shape shared by the API's pure ASGI middlewares that put headers on every HTTP answer.

Each one may set a context variable while the request is handled (its language, its id) and write headers
on the answer's start; the plumbing (pass non-HTTP scopes through, wrap `send`, always reset) lives here once.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HeaderWriter = Callable[[MutableHeaders], None]
Reset = Callable[[], None]


def nothing_to_reset() -> None:
    """What `begin` returns when the middleware sets no context variable."""


class AnswerHeadersMiddleware:
    """Calls `begin` once per HTTP request, writes its headers on the answer, then calls its reset."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def begin(self, scope: Scope) -> tuple[HeaderWriter, Reset]:
        """The headers to write on this request's answer, and what to undo when the request is over."""
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call: set the context, write the headers on the answer's start, reset."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        write_headers, reset = self.begin(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                write_headers(MutableHeaders(scope=message))
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            reset()
