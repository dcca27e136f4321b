"""The adapters a port's contract tests run against, and the user store opened on one of them.

`sqlite` (a real file), and MongoDB either as `mongodb-real` (a server at MONGODB_TEST_URL, marked
`integration`) or, when that variable is not set, `mongodb-emulated` (pymongo-async-mock). The test ids
say which.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo_async_mock import AsyncMongoMockClient

from infrastructure.store.mongo_users import MongoUserStore
from infrastructure.store.sqlite_users import SQLiteUserStore
from infrastructure.store.users_port import UserStore

MONGODB_TEST_URL = os.environ.get("MONGODB_TEST_URL")


def store_backends() -> list[Any]:
    """The fixture params: `sqlite`, and `mongodb-real` or `mongodb-emulated`."""
    mongodb = (
        pytest.param("mongodb-real", id="mongodb-real", marks=pytest.mark.integration)
        if MONGODB_TEST_URL
        else pytest.param("mongodb-emulated", id="mongodb-emulated")
    )
    return [pytest.param("sqlite", id="sqlite"), mongodb]


@asynccontextmanager
async def opened_user_store(backend: str, sqlite_path: Path, prefix: str) -> AsyncIterator[UserStore]:
    """A user store on `backend`, opened; a real MongoDB drops its database (`prefix`_<random>) after."""
    store: UserStore
    client: AsyncMongoClient[dict[str, Any]] | None = None
    database = f"{prefix}_{uuid.uuid4().hex}"
    if backend == "sqlite":
        store = SQLiteUserStore(sqlite_path)
    elif backend == "mongodb-real":
        assert MONGODB_TEST_URL is not None
        client = AsyncMongoClient(MONGODB_TEST_URL, tz_aware=True, serverSelectionTimeoutMS=5000)
        store = MongoUserStore(client[database])
    else:
        store = MongoUserStore(AsyncMongoMockClient(tz_aware=True)[database])
    await store.open()
    try:
        yield store
    finally:
        await store.close()
        if client is not None:
            await client.drop_database(database)
            await client.close()
