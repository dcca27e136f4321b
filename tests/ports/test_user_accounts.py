"""The user-accounts half of the user-store port, against each adapter (SQLite file; MongoDB real or
emulated): adding once, replacing, reading back, listing in order."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from infrastructure.store.users_port import UserRecord
from infrastructure.store.users_port import UserStore

from . import conftest_users

# The fixture every test takes, parametrised over the adapters (ids: sqlite, mongodb-real | mongodb-emulated).
users = conftest_users.users

# Millisecond precision: MongoDB keeps no more, and the suite compares round trips exactly.
CREATED = datetime(2024, 3, 1, 8, 0, 0, 125000, tzinfo=UTC)


def account(username: str, **changes: Any) -> UserRecord:
    """A viewer account created at `CREATED`, with `changes`."""
    fields: dict[str, Any] = {
        "username": username,
        "password_hash": f"$argon2id$hash-of-{username}",
        "role": "viewer",
        "created_at": CREATED,
        "updated_at": CREATED,
    }
    return UserRecord(**(fields | changes))


async def test_an_added_account_reads_back_whole(users: UserStore) -> None:
    record = account("alice", role="admin", tokens_valid_after=CREATED + timedelta(minutes=5))

    assert await users.add_user(record)

    assert await users.get_user("alice") == record
    assert await users.get_user("nobody") is None


async def test_adding_an_existing_username_changes_nothing(users: UserStore) -> None:
    first = account("alice", role="admin")
    await users.add_user(first)

    assert not await users.add_user(account("alice", password_hash="$argon2id$another"))

    assert await users.get_user("alice") == first


async def test_put_inserts_or_replaces_by_username(users: UserStore) -> None:
    await users.put_user(account("bob"))
    disabled = account("bob", active=False, updated_at=CREATED + timedelta(hours=1))

    await users.put_user(disabled)

    assert await users.get_user("bob") == disabled
    assert await users.list_users() == [disabled]


async def test_accounts_are_listed_by_username(users: UserStore) -> None:
    assert await users.list_users() == []
    for username in ("carol", "alice", "bob"):
        await users.add_user(account(username))

    assert [record.username for record in await users.list_users()] == ["alice", "bob", "carol"]
