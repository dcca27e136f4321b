"""The user-accounts port (SQLite, and MongoDB real or emulated) and the `users` CLI."""

from __future__ import annotations

import argparse
import io
from collections.abc import AsyncIterator
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from infrastructure.store.users_port import UserRecord
from infrastructure.store.users_port import UserStore
from services.api import users_cli
from services.api.auth import verify_password
from services.api.login_guard import LoginGuard
from tests.backends import opened_user_store
from tests.backends import store_backends

NOW = datetime(2025, 1, 6, tzinfo=UTC)


def record(username: str, role: str = "viewer", **changes: Any) -> UserRecord:
    fields: dict[str, Any] = {
        "username": username,
        "password_hash": f"hash-of-{username}",
        "role": role,
        "created_at": NOW,
        "updated_at": NOW,
    }
    return UserRecord(**{**fields, **changes})


@pytest.fixture(params=store_backends())
async def accounts_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[UserStore]:
    async with opened_user_store(
        request.param, tmp_path / "new-dir" / "scheduler.sqlite3", "test_users"
    ) as store:
        yield store


async def test_add_get_put_list(accounts_store: UserStore) -> None:
    assert await accounts_store.get_user("bob") is None
    assert await accounts_store.add_user(record("bob"))
    assert await accounts_store.add_user(record("bob", "admin")) is False  # the first one stays
    assert await accounts_store.get_user("bob") == record("bob")
    changed = record("bob", "admin", active=False, password_hash="new")
    await accounts_store.put_user(changed)
    assert await accounts_store.get_user("bob") == changed
    await accounts_store.put_user(record("amy"))
    assert [user.username for user in await accounts_store.list_users()] == ["amy", "bob"]


async def authenticate(users: UserStore, username: str, password: str) -> UserRecord | None:
    guard = LoginGuard(per_username=100, per_address=100, hash_workers=1, hash_queue=1)
    try:
        return await guard.authenticate(users, username, password)
    finally:
        guard.close()


def _cli(command: str, *rest: str) -> argparse.Namespace:
    return users_cli._parser().parse_args([command, *rest])


async def test_cli_add_reset_disable_list(accounts_store: UserStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("first-password\n"))
    message = await users_cli.run(_cli("add", "carol", "--role", "admin", "--password-stdin"), accounts_store)
    assert message == "added carol (admin)"
    assert await authenticate(accounts_store, "carol", "first-password") is not None

    monkeypatch.setattr("sys.stdin", io.StringIO("second-password\n"))
    await users_cli.run(_cli("reset-password", "carol", "--password-stdin"), accounts_store)
    carol = await accounts_store.get_user("carol")
    assert carol is not None and verify_password(carol.password_hash, "second-password")
    assert carol.password_hash.startswith("$argon2id$")

    await users_cli.run(_cli("disable", "carol"), accounts_store)
    assert await authenticate(accounts_store, "carol", "second-password") is None
    listing = await users_cli.run(_cli("list"), accounts_store)
    assert listing == "carol\tadmin\tdisabled"
    await users_cli.run(_cli("enable", "carol"), accounts_store)
    assert await authenticate(accounts_store, "carol", "second-password") is not None


@pytest.mark.parametrize(
    ("arguments", "stdin", "message"),
    [
        (["add", "bad name!", "--password-stdin"], "long-enough\n", "invalid username"),
        (["add", "dave", "--password-stdin"], "short\n", "at least 8"),
        (["add", "erin", "--password-stdin"], "long-enough\n", "already exists"),
        (["reset-password", "ghost", "--password-stdin"], "long-enough\n", "no user"),
        (["disable", "ghost"], "", "no user"),
    ],
)
async def test_cli_errors(
    accounts_store: UserStore,
    monkeypatch: pytest.MonkeyPatch,
    arguments: list[str],
    stdin: str,
    message: str,
) -> None:
    await accounts_store.put_user(record("erin"))
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    with pytest.raises(users_cli.CliError, match=message):
        await users_cli.run(users_cli._parser().parse_args(arguments), accounts_store)


def test_cli_main_on_the_configured_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SCHEDULER_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("sys.stdin", io.StringIO("a-good-password\n"))
    assert users_cli.main(["add", "frank", "--role", "viewer", "--password-stdin"]) == 0
    assert users_cli.main(["list"]) == 0
    assert users_cli.main(["disable", "nobody"]) == 1
    captured = capsys.readouterr()
    assert "added frank (viewer)" in captured.out and "frank\tviewer\tactive" in captured.out
    assert "error: no user 'nobody'" in captured.err
    assert (tmp_path / "scheduler.sqlite3").exists()
