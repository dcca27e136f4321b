"""The tokens' revocation state, against each user-store adapter (SQLite file; MongoDB real or emulated):
what several API processes share, so a logout or a reused refresh token counts everywhere."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo_async_mock import AsyncMongoMockClient

from infrastructure.store.mongo_users import MongoUserStore
from infrastructure.store.sqlite_users import SQLiteUserStore
from infrastructure.store.users_port import UserStore

MONGODB_TEST_URL = os.environ.get("MONGODB_TEST_URL")
LATER = datetime.now(UTC) + timedelta(days=30)


def _now() -> datetime:
    """Wall-clock time: MongoDB's TTL index forgets documents whose `expires_at` has passed for real."""
    return datetime.now(UTC)


def _backends() -> list[Any]:
    mongodb = (
        pytest.param("mongodb-real", id="mongodb-real", marks=pytest.mark.integration)
        if MONGODB_TEST_URL
        else pytest.param("mongodb-emulated", id="mongodb-emulated")
    )
    return [pytest.param("sqlite", id="sqlite"), mongodb]


@pytest.fixture(params=_backends())
async def users(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[UserStore]:
    store: UserStore
    client: AsyncMongoClient[dict[str, Any]] | None = None
    database = f"test_sessions_{uuid.uuid4().hex}"
    if request.param == "sqlite":
        store = SQLiteUserStore(tmp_path / "data" / "scheduler.sqlite3")
    elif request.param == "mongodb-real":
        assert MONGODB_TEST_URL is not None
        client = AsyncMongoClient(MONGODB_TEST_URL, tz_aware=True, serverSelectionTimeoutMS=5000)
        store = MongoUserStore(client, database)
    else:
        store = MongoUserStore(AsyncMongoMockClient(tz_aware=True), database)
    await store.open()
    try:
        yield store
    finally:
        await store.close()
        if client is not None:
            await client.drop_database(database)
            await client.close()


async def test_a_refresh_token_rotates_once(users: UserStore) -> None:
    await users.start_family("fam", "alice", LATER)
    await users.add_refresh_token("r1", "fam", LATER)
    first = await users.use_refresh_token("r1", _now())
    assert (first.outcome, first.family, first.username) == ("rotated", "fam", "alice")
    assert await users.family_active("fam", _now())


async def test_a_reuse_revokes_the_family(users: UserStore) -> None:
    await users.start_family("fam", "alice", LATER)
    await users.add_refresh_token("r1", "fam", LATER)
    await users.add_refresh_token("r2", "fam", LATER)
    assert (await users.use_refresh_token("r1", _now())).outcome == "rotated"
    assert (await users.use_refresh_token("r1", _now())).outcome == "reused"
    assert not await users.family_active("fam", _now())
    assert (await users.use_refresh_token("r2", _now())).outcome == "revoked"


async def test_concurrent_uses_rotate_exactly_once(users: UserStore) -> None:
    await users.start_family("fam", "alice", LATER)
    await users.add_refresh_token("r1", "fam", LATER)
    uses = await asyncio.gather(*(users.use_refresh_token("r1", _now()) for _ in range(8)))
    assert sorted(use.outcome for use in uses) == ["reused"] * 7 + ["rotated"]


async def test_unknown_expired_and_revoked(users: UserStore) -> None:
    now = _now()
    assert (await users.use_refresh_token("nope", now)).outcome == "unknown"
    assert not await users.family_active("nope", now)
    await users.start_family("short", "bob", now + timedelta(minutes=1))
    await users.add_refresh_token("r-short", "short", now + timedelta(minutes=1))
    assert (await users.use_refresh_token("r-short", now + timedelta(minutes=2))).outcome == "expired"
    assert not await users.family_active("short", now + timedelta(minutes=2))
    await users.start_family("gone", "bob", LATER)
    await users.revoke_family("gone", now)
    await users.revoke_family("gone", now)  # idempotent
    assert not await users.family_active("gone", now)


async def test_families_are_independent_and_purged_when_expired(users: UserStore) -> None:
    now = _now()
    await users.start_family("a", "alice", LATER)
    await users.start_family("b", "alice", now + timedelta(minutes=5))
    await users.add_refresh_token("rb", "b", now + timedelta(minutes=5))
    await users.revoke_family("a", now)
    assert await users.family_active("b", now)
    assert await users.purge_sessions(now + timedelta(minutes=10)) == 2
    assert (await users.use_refresh_token("rb", now)).outcome == "unknown"
    assert not await users.family_active("a", now)  # revoked, and still known until it expires


async def test_the_sqlite_files_are_private(tmp_path: Path) -> None:
    store = SQLiteUserStore(tmp_path / "fresh" / "scheduler.sqlite3")
    await store.open()
    try:
        await store.start_family("fam", "alice", LATER)  # the WAL file exists now
    finally:
        await store.close()
    assert oct((tmp_path / "fresh").stat().st_mode & 0o777) == "0o700"
    for path in (tmp_path / "fresh").iterdir():
        assert oct(path.stat().st_mode & 0o777) == "0o600", path
