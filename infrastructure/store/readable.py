"""Reading stored rows one at a time, skipping those that cannot be read.

A row that cannot be read (whatever made it so: a document nested too deeply, a field a newer version wrote, a
corrupted text) is skipped with an error naming its table and key, so that it never fails a whole list, a page
of the API or a process reading its state back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from typing import Any
from typing import TypeVar

from pydantic import ValidationError

logger = logging.getLogger(__name__)

Parsed = TypeVar("Parsed")
Raw = TypeVar("Raw")
# What reading one stored document may raise (json: ValueError; pydantic: ValidationError, a ValueError).
UNREADABLE = (ValidationError, ValueError, TypeError, KeyError, RecursionError)


def read_one(parse: Callable[[Raw], Parsed], document: Raw, table: str, key: object) -> Parsed | None:
    """`parse(document)`, or None (logged as an error naming the row) if it cannot be read."""
    try:
        return parse(document)
    except UNREADABLE as error:
        logger.error("unreadable row skipped: %s %r: %s", table, key, _short(error))
        return None


def read_all(parse: Callable[[Any], Parsed], rows: Iterable[Sequence[Any]], table: str) -> list[Parsed]:
    """Every readable `(key, document)` row parsed, in order; the others skipped (each logged)."""
    parsed = (read_one(parse, row[1], table, row[0]) for row in rows)
    return [item for item in parsed if item is not None]


def _short(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= 300 else f"{text[:300]}…"
