"""Request ids on answers and log lines (`X-Request-ID`).

`X-Request-ID`: every answer carries the request's own id (when it is a sane one) or a new one, and
every log line written while the request is handled carries it too (`request_id=` at the end).

A client's id is kept only if it is 1-128 characters of letters, digits and `._:-` (the web client sends
`req_<ms>_<random>`); anything else (too long, control characters, spaces) is replaced, never echoed.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import Scope

from services.api.answer_headers import AnswerHeadersMiddleware
from services.api.answer_headers import HeaderWriter
from services.api.answer_headers import Reset

HEADER = "X-Request-ID"
VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def request_id_of(scope: Scope) -> str:
    """The request's `X-Request-ID` if it is a valid id, else a new one."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate: str = value.decode("latin-1")
            if VALID_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


class RequestIdMiddleware(AnswerHeadersMiddleware):
    """Keeps the request's id in `current_request_id` while handled; answers carry it (`X-Request-ID`)."""

    def begin(self, scope: Scope) -> tuple[HeaderWriter, Reset]:
        """Make the request's id current for the log, and echo it in the answer's headers."""
        request_id = request_id_of(scope)
        token = current_request_id.set(request_id)

        def write(headers: MutableHeaders) -> None:
            headers[HEADER] = request_id

        return write, lambda: current_request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on each record (as `request_id`) when there is one."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Put the current request's id on the log record (never drops one)."""
        request_id = current_request_id.get()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        return True


def log_request_ids() -> None:
    """Install the filter on the root logger's handlers (idempotent): every module's lines get the id."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(existing, RequestIdFilter) for existing in handler.filters):
            handler.addFilter(RequestIdFilter())
