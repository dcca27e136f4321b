"""The MongoDB side of the contract tests of ports that `tests.backends` does not open (run claims, platform
users): a real server at MONGODB_TEST_URL (marked `integration`, a database of its own per test, dropped
after it) or, when that variable is not set, the in-process emulation (`tests.mongo_emulation`)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pymongo import AsyncMongoClient

from tests.backends import MONGODB_TEST_URL
from tests.backends import store_backends
from tests.mongo_emulation import emulated_client


def mongodb_backend() -> Any:
    """The MongoDB parameter of a contract test: `mongodb-real` if a server is given, else emulated."""
    return next(param for param in store_backends() if param.values[0] != "sqlite")


@asynccontextmanager
async def mongodb_database(backend: str, prefix: str) -> AsyncIterator[tuple[Any, str]]:
    """A client and the name of a database nobody else uses (a real one is dropped afterwards)."""
    database = f"{prefix}_{uuid.uuid4().hex}"
    if backend != "mongodb-real":
        yield emulated_client(), database
        return
    assert MONGODB_TEST_URL is not None
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        MONGODB_TEST_URL, tz_aware=True, serverSelectionTimeoutMS=5000
    )
    try:
        yield client, database
    finally:
        await client.drop_database(database)
        await client.close()
