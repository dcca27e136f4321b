"""Limits on every JSON request body.

Every JSON request body checked against `contracts.json_bounds.INPUT_LIMITS` before the framework parses
it: nesting depth, items per container, string length, NaN/Infinity, control characters. Answered 422 with
the usual `{detail, errors}` naming the limit, so nothing past a limit reaches a route or a command.

The body is already capped in bytes by `BodyLimitMiddleware` (outside this one); it is read whole here,
checked, then handed to the app as it came.
"""

from __future__ import annotations

from email.message import Message as MimeHeader

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp
from starlette.types import Message
from starlette.types import Receive
from starlette.types import Scope
from starlette.types import Send

from contracts.json_bounds import INPUT_LIMITS
from contracts.json_bounds import JsonLimits
from contracts.json_bounds import JsonOutOfBounds
from contracts.json_bounds import loads
from services.api.http_middleware import HttpMiddleware

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def is_json(content_type: str | None) -> bool:
    """What FastAPI parses as JSON: no content type at all, `application/json` or `application/*+json`."""
    if not content_type:
        return True
    header = MimeHeader()
    header["content-type"] = content_type
    subtype = header.get_content_subtype()
    return header.get_content_maintype() == "application" and (subtype == "json" or subtype.endswith("+json"))


def out_of_bounds(reason: str) -> JSONResponse:
    """The 422 answer for a JSON body past the input limits, naming the limit."""
    return JSONResponse(
        {
            "detail": f"请求体超出限制: {reason}",
            "errors": [{"loc": ["body"], "msg": reason, "type": "json_out_of_bounds"}],
        },
        status_code=422,
    )


# The sign-in routes read their bodies themselves (JSON or form, bounded, answered in the web client's
# envelope: `services.api.auth_errors`); every other JSON body is checked here.
EXEMPT_PREFIXES = ("/api/auth/",)


class JsonLimitMiddleware(HttpMiddleware):
    """Refuses a JSON body past the input limits before the framework parses it."""

    def __init__(self, app: ASGIApp, limits: JsonLimits = INPUT_LIMITS) -> None:
        super().__init__(app)
        self.limits = limits

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check a JSON request body against the limits, then pass the request on; 422 if past them."""
        if (
            scope["method"] not in BODY_METHODS
            or str(scope["path"]).startswith(EXEMPT_PREFIXES)
            or not is_json(Headers(scope=scope).get("content-type"))
        ):
            await self.app(scope, receive, send)
            return
        try:
            body, ended = await _read_body(receive)
        except HTTPException as error:  # the byte cap of BodyLimitMiddleware, passed while reading
            await JSONResponse({"detail": error.detail}, status_code=error.status_code)(scope, receive, send)
            return
        reason = self._problem(body)
        if reason is not None:
            await out_of_bounds(reason)(scope, receive, send)
            return
        await self.app(scope, _replay(body, ended, receive), send)

    def _problem(self, body: bytes) -> str | None:
        if not body:
            return None
        try:
            loads(body, self.limits, where="body")
        except JsonOutOfBounds as error:
            return str(error)
        except (ValueError, RecursionError):  # not JSON at all: the route's own parsing says so
            return None
        return None


async def _read_body(receive: Receive) -> tuple[bytes, Message | None]:
    """The whole body, and the message that ended the request early (a disconnect), if one did."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), message
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), None


def _replay(body: bytes, ended: Message | None, receive: Receive) -> Receive:
    delivered = False

    async def replayed() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return ended if ended is not None else await receive()

    return replayed
