"""Error answers: `{detail}` with a clear text and a meaningful status, never a stack trace for bad input."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from infrastructure.bus.port import BusUnavailable
from infrastructure.store.port import StoreUnavailable
from services.api.messages import text
from services.api.schemas import ErrorResponse
from services.api.schemas import ValidationErrorResponse

logger = logging.getLogger(__name__)

# Seconds a client should wait before it tries a command again (the broker usually returns within seconds).
RETRY_AFTER = {"Retry-After": "2"}

_DESCRIPTIONS = {
    400: "invalid state for this action (e.g. cancelling an execution that is not running), or a body "
    "that cannot be read at all (e.g. not UTF-8)",
    401: "no token, wrong scheme, bad signature, expired token, unknown or inactive user",
    403: "the signed-in user is not an admin",
    404: "unknown job or execution",
    409: "conflict with the current state (e.g. deleting a running execution)",
    412: "the job changed since the version given in `If-Match` (read it again)",
    413: "request body larger than the configured limit",
    422: "invalid parameter or body; the message names it",
    429: "too many of these at once (e.g. bulk operations running); try again shortly",
    503: "message bus or store unavailable; nothing was done",
}
_LOCATIONS = {place: f"where_{place}" for place in ("query", "path", "body", "header", "form")}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the error answers a route can give."""
    documented: dict[int | str, dict[str, Any]] = {}
    for code in statuses:
        model = ValidationErrorResponse if code == 422 else ErrorResponse
        documented[code] = {"model": model, "description": _DESCRIPTIONS[code]}
    return documented


READ = (401, 422, 503)
ADMIN = (401, 403, 422, 503)
WITH_BODY = (400, 413)


def _describe(error: dict[str, Any]) -> str:
    location = [str(part) for part in error.get("loc", ())]
    if not location:
        return str(error.get("msg", "invalid"))
    where = text(_LOCATIONS[location[0]]) if location[0] in _LOCATIONS else location[0]
    fields = [part for part in location[1:] if not part.isdigit()] if location[0] == "body" else location[1:]
    name = ".".join(fields)
    label = f"{where} {name}" if name else where
    return f"{label}: {error.get('msg', 'invalid')}"


async def _validation_failed(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = list(error.errors())
    body = {
        "detail": "; ".join(_describe(problem) for problem in problems) or text("invalid_parameters"),
        "errors": [
            {
                "loc": [part if isinstance(part, int) else str(part) for part in problem.get("loc", ())],
                "msg": str(problem.get("msg", "")),
                "type": str(problem.get("type", "")),
            }
            for problem in problems
        ],
    }
    return JSONResponse(body, status_code=422)


async def _store_unavailable(request: Request, error: Exception) -> JSONResponse:
    logger.warning("store unavailable during %s %s: %s", request.method, request.url.path, error)
    return JSONResponse({"detail": text("store_unavailable")}, status_code=503, headers=RETRY_AFTER)


async def _bus_unavailable(request: Request, error: Exception) -> JSONResponse:
    logger.warning("bus unavailable during %s %s: %s", request.method, request.url.path, error)
    return JSONResponse({"detail": text("bus_unavailable")}, status_code=503, headers=RETRY_AFTER)


def install_error_handlers(app: FastAPI) -> None:
    """Answer validation errors (422), an unavailable store or bus (503) with the API's error shape."""
    app.add_exception_handler(RequestValidationError, _validation_failed)
    app.add_exception_handler(StoreUnavailable, _store_unavailable)
    app.add_exception_handler(BusUnavailable, _bus_unavailable)
