"""The caller's language (`Accept-Language`: Chinese by default, English on request) for the answers' texts.

A pure ASGI middleware picks the language once per request and keeps it in a context variable, so the
routes, the error handlers and the helpers that build messages all read the same one without passing it
around. Only `zh` and `en` exist; anything else (or no header) is Chinese, as the original server was.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Literal

from starlette.datastructures import MutableHeaders
from starlette.types import Scope

from services.api.answer_headers import AnswerHeadersMiddleware
from services.api.answer_headers import HeaderWriter
from services.api.answer_headers import Reset

Language = Literal["zh", "en"]
DEFAULT_LANGUAGE: Language = "zh"
# Bounded: a header longer than this, or with more entries, is read only this far.
_MAX_HEADER_CHARS = 512
_MAX_ENTRIES = 16

_current: ContextVar[Language] = ContextVar("language", default=DEFAULT_LANGUAGE)


def negotiate(header: str | None) -> Language:
    """The supported language the caller prefers most (by `q`, then order); Chinese when none fits."""
    best: tuple[float, int, Language] | None = None
    entries = (header or "")[:_MAX_HEADER_CHARS].split(",")[:_MAX_ENTRIES]
    for position, entry in enumerate(entries):
        tag, _, params = entry.strip().partition(";")
        language = _supported(tag.strip().lower())
        quality = _quality(params)
        if language is None or quality <= 0:
            continue
        candidate = (-quality, position, language)
        if best is None or candidate < best:
            best = candidate
    return DEFAULT_LANGUAGE if best is None else best[2]


def _supported(tag: str) -> Language | None:
    primary = tag.split("-", 1)[0]
    if primary == "en":
        return "en"
    if primary == "zh":
        return "zh"
    return None


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


def current_language() -> Language:
    """The language of the request being handled (from its `Accept-Language`)."""
    return _current.get()


class LanguageMiddleware(AnswerHeadersMiddleware):
    """Sets the request's language for everything below it; answers say which one (`Content-Language`)."""

    def begin(self, scope: Scope) -> tuple[HeaderWriter, Reset]:
        """Read the request's language for the handlers; the answer says it in `Content-Language`."""
        header = next((value for name, value in scope["headers"] if name == b"accept-language"), b"")
        language = negotiate(header.decode("latin-1"))
        token = _current.set(language)

        def write(headers: MutableHeaders) -> None:
            headers.append("content-language", language)
            headers.add_vary_header("Accept-Language")

        return write, lambda: _current.reset(token)
