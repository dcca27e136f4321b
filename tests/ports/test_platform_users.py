"""The platform-users port against its adapter, on MongoDB real (MONGODB_TEST_URL) or emulated: accounts
read from the platform's `users` collection, where only a flag that is `True` grants anything."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from infrastructure.store.mongo_platform_users import COLLECTION
from infrastructure.store.mongo_platform_users import MongoPlatformUsers
from infrastructure.store.platform_users_port import PlatformUser
from infrastructure.store.platform_users_port import PlatformUserDirectory

from .conftest_mongo import mongodb_backend
from .conftest_mongo import mongodb_database

PLATFORM_ACCOUNTS: list[dict[str, Any]] = [
    {"username": "root", "is_admin": True, "is_active": True, "hashed_password": "secret"},
    {"username": "reader", "is_admin": False, "is_active": True},
    {"username": "left", "is_admin": True, "is_active": False},
    {"username": "odd", "is_admin": "yes", "is_active": 1},
    {"username": "bare"},
]


@pytest.fixture(params=[mongodb_backend()])
async def directory(request: pytest.FixtureRequest) -> AsyncIterator[PlatformUserDirectory]:
    """The platform's directory over a `users` collection holding `PLATFORM_ACCOUNTS`."""
    async with mongodb_database(request.param, "test_platform") as (client, database):
        await client[database][COLLECTION].insert_many([dict(document) for document in PLATFORM_ACCOUNTS])
        users = MongoPlatformUsers(client[database])
        await users.open()
        yield users
        await users.close()


async def test_an_account_is_found_with_its_flags(directory: PlatformUserDirectory) -> None:
    assert await directory.find_user("root") == PlatformUser("root", is_admin=True, is_active=True)
    assert await directory.find_user("reader") == PlatformUser("reader", is_admin=False, is_active=True)
    assert await directory.find_user("left") == PlatformUser("left", is_admin=True, is_active=False)


async def test_only_a_true_flag_grants_anything(directory: PlatformUserDirectory) -> None:
    assert await directory.find_user("odd") == PlatformUser("odd", is_admin=False, is_active=False)
    assert await directory.find_user("bare") == PlatformUser("bare", is_admin=False, is_active=False)


async def test_an_unknown_username_is_none(directory: PlatformUserDirectory) -> None:
    assert await directory.find_user("nobody") is None
