"""The `users` fixture of the user-accounts suite (`test_user_accounts.py`): every test runs against each
adapter, a SQLite file and MongoDB (real at MONGODB_TEST_URL, else emulated)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from infrastructure.store.users_port import UserStore
from tests.backends import opened_user_store
from tests.backends import store_backends


@pytest.fixture(params=store_backends())
async def users(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[UserStore]:
    """An open user store of the parametrised adapter, closed after the test."""
    async with opened_user_store(
        request.param, tmp_path / "data" / "scheduler.sqlite3", "test_users"
    ) as store:
        yield store
