"""The shape shared by the API's pure ASGI middlewares that put headers on every HTTP answer.

Each one may set a context variable while the request is handled (its language, its id) and write headers
on the answer's start; the plumbing (wrap `send`, always reset) lives here once.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.types import Message
from starlette.types import Receive
from starlette.types import Scope
from starlette.types import Send

from services.api.http_middleware import HttpMiddleware

HeaderWriter = Callable[[MutableHeaders], None]
Reset = Callable[[], None]


def nothing_to_reset() -> None:
    """What `begin` returns when the middleware sets no context variable."""


class AnswerHeadersMiddleware(HttpMiddleware):
    """Calls `begin` once per HTTP request, writes its headers on the answer, then calls its reset."""

    def begin(self, scope: Scope) -> tuple[HeaderWriter, Reset]:
        """The headers to write on this request's answer, and what to undo when the request is over."""
        raise NotImplementedError

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one HTTP request: set the context, write the headers on the answer's start, reset."""
        write_headers, reset = self.begin(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                write_headers(MutableHeaders(scope=message))
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            reset()
