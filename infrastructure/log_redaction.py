"""Tokens and passwords in URLs never reach a log line.

`?access_token=` (the live stream's sign-in for EventSource) and the like are replaced by `***` in every
record, whether the name, the `=` or the separators are percent-encoded (once or several times) or not.

Installed by the API's composition root on uvicorn's access and error loggers and on the root handlers.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote_plus

# A secret-bearing parameter once the text is decoded (`token` also covers access_/refresh_/id_token).
_SECRET_PARAMETER = re.compile(r"(?i)(token|password|passwd|secret|api_key|apikey)=([^&;#]*)")
_WORD = re.compile(r"\S+")
_DECODING_ROUNDS = 5


def _decoded(word: str) -> str:
    for _ in range(_DECODING_ROUNDS):
        decoded = unquote_plus(word)
        if decoded == word:
            break
        word = decoded
    return word


def _redact_word(match: re.Match[str]) -> str:
    word = match.group(0)
    decoded = _decoded(word) if "%" in word or "+" in word else word
    if not _SECRET_PARAMETER.search(decoded):
        return word
    return _SECRET_PARAMETER.sub(lambda secret: f"{secret.group(1)}=***", decoded)


def redact(text: str) -> str:
    """`text` with the value of every secret-bearing URL parameter replaced by `***`."""
    if "=" not in text and "%" not in text:
        return text
    return _WORD.sub(_redact_word, text)


def _redacted(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactTokens(logging.Filter):
    """Rewrites a record's message and arguments before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact tokens and passwords in the record's message and arguments; never drops a record."""
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {name: _redacted(value) for name, value in record.args.items()}
        return True


def install(*logger_names: str) -> None:
    """The filter on these loggers and on every handler of the root logger (once each)."""
    targets: list[logging.Filterer] = [logging.getLogger(name) for name in logger_names]
    targets += logging.getLogger().handlers
    for target in targets:
        if not any(isinstance(existing, RedactTokens) for existing in target.filters):
            target.addFilter(RedactTokens())
