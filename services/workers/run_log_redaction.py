"""Secrets never reach a run's log.

URL parameters (`?token=`, `password=`: the API's own redaction), credentials in URLs
(`scheme://user:password@host`), bearer tokens, `token: value` pairs and the worker's configured secrets (a
provider token) wherever they appear.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel
from pydantic import SecretStr

from infrastructure.log_redaction import redact as redact_url_parameters

_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]*):[^\s@/]*@")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
_NAMED_SECRET = re.compile(
    r"""(?i)(["']?\b(?:[a-z_]*token|password|passwd|secret|api_?key)["']?\s*[:=]\s*)(["']?)[^\s"',;&]+"""
)
_HINTS = ("token", "password", "passwd", "secret", "key", "bearer", "basic")
MIN_SECRET_CHARS = 6  # shorter configured values would blank out ordinary words


class Redactor:
    """Redacts text; `secrets` are literal values (e.g. the provider token) replaced wherever found."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = tuple(
            sorted({s for s in secrets if len(s) >= MIN_SECRET_CHARS}, key=len, reverse=True)
        )

    def __call__(self, text: str) -> str:
        """The text with known secrets, URL credentials, bearer tokens and named secrets replaced by `***`."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, "***")
        if "@" in text:
            text = _URL_CREDENTIALS.sub(r"\1:***@", text)
        lowered = text.lower()
        if "%" not in text and not any(hint in lowered for hint in _HINTS):  # most lines: nothing to hide
            return text
        text = redact_url_parameters(text)
        text = _BEARER.sub(lambda match: f"{match.group(1)} ***", text)
        return _NAMED_SECRET.sub(lambda match: f"{match.group(1)}{match.group(2)}***", text)


def configured_secrets(*settings: BaseModel) -> list[str]:
    """The values of every `SecretStr` field of these settings (provider tokens, store and broker URLs)."""
    found: list[str] = []
    for model in settings:
        for name in type(model).model_fields:
            value = getattr(model, name)
            if isinstance(value, SecretStr):
                found.append(value.get_secret_value())
    return found
