"""What MongoDB (or PyMongo) would refuse or change, caught before a write and after a read.

Written: a document the server refuses (over 16 MiB, nested deeper than 100 levels), the driver cannot
encode (an integer outside int64, NUL in a key), or that comes back as another type (a sub-document
shaped `{"$ref": ..., "$id": ...}` is read as a `bson.DBRef`; any key starting with `$` is an operator
to the server) is refused with `UnstorableDocument`, naming the document and the reason. Read: a stored
document whose values are not plain JSON types, or that no longer fits its record, is skipped and named in
the log instead of failing the whole page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from typing import TypeVar

import bson
from bson.errors import InvalidDocument
from pydantic import ValidationError

from domain.records import Record
from infrastructure.store.mongo_schema import record_from

MAX_DOCUMENT_BYTES = 16 * 1024 * 1024  # the server's BSON document limit
MAX_DEPTH = 100  # the server's nesting limit for stored documents
INT64 = range(-(2**63), 2**63)
PLAIN = (str, int, float, bool, type(None), datetime)
RecordT = TypeVar("RecordT", bound=Record)
logger = logging.getLogger(__name__)


class UnstorableDocument(ValueError):
    """A document MongoDB would refuse or give back changed."""


def _problem(value: Any, depth: int, path: str) -> str | None:
    """The first reason `value` cannot be stored as it is, or None."""
    if depth > MAX_DEPTH:
        return f"nested deeper than {MAX_DEPTH} levels at {path}"
    if isinstance(value, Mapping):
        return _mapping_problem(value, depth, path)
    if isinstance(value, list | tuple):
        return _sequence_problem(value, depth, path)
    if isinstance(value, int) and not isinstance(value, bool) and value not in INT64:
        return f"integer {value} at {path} is outside MongoDB's 64-bit range"
    return None


def _key_problem(key: Any, path: str) -> str | None:
    """Why a sub-document's `key` cannot be stored as it is, or None."""
    if not isinstance(key, str):
        return f"non-string key {key!r} at {path}"
    if "\x00" in key:
        return f"NUL character in key {key!r} at {path}"
    if key.startswith("$"):
        return f"key {key!r} at {path} starts with '$' (an operator to MongoDB; $ref/$id is a DBRef)"
    return None


def _mapping_problem(value: Mapping[Any, Any], depth: int, path: str) -> str | None:
    """The first reason a sub-document (its keys, then its values, in order) cannot be stored, or None."""
    for key, item in value.items():
        if (found := _key_problem(key, path)) is not None:
            return found
        if (found := _problem(item, depth + 1, f"{path}.{key}")) is not None:
            return found
    return None


def _sequence_problem(value: list[Any] | tuple[Any, ...], depth: int, path: str) -> str | None:
    """The first reason an item of an array cannot be stored, or None."""
    for index, item in enumerate(value):
        if (found := _problem(item, depth + 1, f"{path}[{index}]")) is not None:
            return found
    return None


def check_storable(document: Mapping[str, Any], what: str) -> None:
    """Refuse a document the server would not store as it is.

    UnstorableDocument, naming `what` and the reason, unless the server stores `document` as it is and
    gives it back unchanged.
    """
    if (problem := _problem(document, 1, "$")) is not None:
        raise UnstorableDocument(f"{what} cannot be stored in MongoDB: {problem}")
    try:
        size = len(bson.encode(document))
    except (InvalidDocument, OverflowError) as error:
        raise UnstorableDocument(f"{what} cannot be stored in MongoDB: {error}") from error
    if size > MAX_DOCUMENT_BYTES:
        raise UnstorableDocument(
            f"{what} cannot be stored in MongoDB: {size} bytes, over the {MAX_DOCUMENT_BYTES} byte limit"
        )


def _foreign(value: Any) -> str | None:
    """The name of the first value that is not a plain JSON type (ObjectId, DBRef, Binary ...), or None."""
    if isinstance(value, Mapping):
        return next((found for item in value.values() if (found := _foreign(item))), None)
    if isinstance(value, list):
        return next((found for item in value if (found := _foreign(item))), None)
    return None if isinstance(value, PLAIN) else type(value).__name__


def readable(document: Mapping[str, Any], collection: str, *, ignore: Iterable[str] = ("_id",)) -> bool:
    """Whether a stored document holds only what the API can serialise; logs the one that does not."""
    skipped = set(ignore)
    found = _foreign({name: value for name, value in document.items() if name not in skipped})
    if found is None:
        return True
    logger.error("skipped %s %r: it holds a %s, not a JSON value", collection, document.get("_id"), found)
    return False


def record_or_none(model: type[RecordT], document: Mapping[str, Any], collection: str) -> RecordT | None:
    """The record of a stored document, or None (logged) if it is not one."""
    if not readable(document, collection):
        return None
    try:
        return record_from(model, document)
    except ValidationError as error:
        logger.error("skipped %s %r: not a valid record: %s", collection, document.get("_id"), error)
        return None


def records_of(
    model: type[RecordT], documents: Iterable[Mapping[str, Any]], collection: str
) -> list[RecordT]:
    """The records of the documents that are valid ones (each other one logged and skipped)."""
    return [record for document in documents if (record := record_or_none(model, document, collection))]
