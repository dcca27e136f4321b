"""The in-process MongoDB emulation of the tests (pymongo-async-mock over mongomock), with two
compatibility fixes:

- PyMongo 4.11+ hands `sort=` to a bulk `ReplaceOne`, which mongomock's bulk builder does not accept
  (pymongo-async-mock fixes the same for `UpdateOne` only);
- pymongo-async-mock's own fix for `UpdateOne` wraps the builder's `add_update` again for every collection it
  hands out (its "already patched" check looks for a name its `functools.wraps` overwrites), so a long test
  session stacks thousands of wrappers and ends in `RecursionError`. Installed here once, under the name its
  check looks for, it is never stacked."""

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

_original_add_update = BulkOperationBuilder.add_update


def add_update_compat(self: BulkOperationBuilder, *args: Any, sort: Any = None, **kwargs: Any) -> Any:
    """`add_update` without PyMongo's `sort=`, under the name pymongo-async-mock's patch looks for."""
    return _original_add_update(self, *args, **kwargs)  # type: ignore[no-untyped-call]


BulkOperationBuilder.add_update = add_update_compat  # type: ignore[method-assign]


def emulated_client() -> Any:
    """A fresh emulated server (its own empty databases), dates read back aware."""
    return AsyncMongoMockClient(tz_aware=True)
