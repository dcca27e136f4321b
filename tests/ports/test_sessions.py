"""The tokens' revocation state, against each user-store adapter (SQLite file; MongoDB real or emulated):
what several API processes share, so a logout or a reused refresh token counts everywhere."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

import pytest

from infrastructure.store.sqlite_users import SQLiteUserStore
from infrastructure.store.users_port import UserStore
from tests.backends import opened_user_store
from tests.backends import store_backends

LATER = datetime.now(UTC) + timedelta(days=30)


def _now() -> datetime:
    """Wall-clock time: MongoDB's TTL index forgets documents whose `expires_at` has passed for real."""
    return datetime.now(UTC)


@pytest.fixture(params=store_backends())
async def users(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[UserStore]:
    async with opened_user_store(
        request.param, tmp_path / "data" / "scheduler.sqlite3", "test_sessions"
    ) as store:
        yield store


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
