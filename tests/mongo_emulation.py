"""The in-process MongoDB emulation of the tests (pymongo-async-mock over mongomock), with the one
compatibility fix the store needs: PyMongo 4.11+ hands `sort=` to a bulk `ReplaceOne`, which mongomock's
bulk builder does not accept (pymongo-async-mock fixes the same for `UpdateOne` only)."""

from __future__ import annotations

import functools
from typing import Any

from mongomock.collection import BulkOperationBuilder
from pymongo_async_mock import AsyncMongoMockClient

_original_add_replace = BulkOperationBuilder.add_replace


@functools.wraps(_original_add_replace)
def _add_replace(self: BulkOperationBuilder, *args: Any, sort: Any = None, **kwargs: Any) -> Any:
    return _original_add_replace(self, *args, **kwargs)  # type: ignore[no-untyped-call]


BulkOperationBuilder.add_replace = _add_replace  # type: ignore[method-assign]


def emulated_client() -> Any:
    """A fresh emulated server (its own empty databases), dates read back aware."""
    return AsyncMongoMockClient(tz_aware=True)
