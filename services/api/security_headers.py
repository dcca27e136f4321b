"""Security headers on every answer of the API process.

The console, `/docs`, JSON: a Content-Security-Policy without inline script, no MIME sniffing, no framing, no
referrer. A header a route set itself is kept.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import Scope

from services.api.answer_headers import AnswerHeadersMiddleware
from services.api.answer_headers import HeaderWriter
from services.api.answer_headers import Reset
from services.api.answer_headers import nothing_to_reset

# Only the service's own files (no CDN, no inline script, no eval), talking only to its own origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


class SecurityHeadersMiddleware(AnswerHeadersMiddleware):
    """Adds `SECURITY_HEADERS` to every answer, keeping a header a route set itself."""

    def begin(self, scope: Scope) -> tuple[HeaderWriter, Reset]:
        """Add the security headers an answer does not set itself; nothing to reset."""
        return _add_missing, nothing_to_reset


def _add_missing(headers: MutableHeaders) -> None:
    for name, value in SECURITY_HEADERS.items():
        if name not in headers:
            headers[name] = value
