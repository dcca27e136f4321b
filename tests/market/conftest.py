"""The `market_store` fixture runs every test of the market-data suite against each adapter: `sqlite`
(a real file) and MongoDB, as `mongodb-real` (a server at MONGODB_TEST_URL, marked `integration`) or, when
that variable is not set, `mongodb-emulated` (pymongo-async-mock). The test ids say which."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo_async_mock import AsyncMongoMockClient

from infrastructure.market.mongo_market import MongoMarketStore
from infrastructure.market.port import MarketStore
from infrastructure.market.sqlite_market import SQLiteMarketStore
from tests.backends import MONGODB_TEST_URL
from tests.backends import store_backends


@pytest.fixture(params=store_backends())
async def market_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MarketStore]:
    backend: str = request.param
    if backend == "sqlite":
        store: MarketStore = SQLiteMarketStore(tmp_path / "new-dir" / "market.sqlite3", batch_size=3)
        await store.open()
        yield store
        await store.close()
    elif backend == "mongodb-real":
        assert MONGODB_TEST_URL is not None
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            MONGODB_TEST_URL, tz_aware=True, serverSelectionTimeoutMS=5000
        )
        name = f"test_market_{uuid.uuid4().hex}"
        store = MongoMarketStore(client[name], batch_size=3)
        await store.open()
        yield store
        await client.drop_database(name)
        await client.close()
    else:
        store = MongoMarketStore(AsyncMongoMockClient(tz_aware=True)["test_market"], batch_size=3)
        await store.open()
        yield store
        await store.close()
