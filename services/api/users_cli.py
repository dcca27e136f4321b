"""`python -m services.api.users add|reset-password|set-role|list|disable|enable`: manage operator accounts.

A password reset, a role change and disabling an account revoke every token issued before it (the
account's open live streams end within seconds).

Passwords are read from the terminal (asked twice) or, with `--password-stdin`, from the first line of
standard input (scripts, containers); never from the command line, where `ps` and shell history show them.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import re
import sys
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime

from infrastructure.adapters import make_user_store
from infrastructure.settings import CommonSettings
from infrastructure.store.users_port import ROLES
from infrastructure.store.users_port import USERNAME_PATTERN
from infrastructure.store.users_port import UserStore
from services.api.auth import hash_password
from services.api.auth import new_user

MIN_PASSWORD_LENGTH = 8


class CliError(Exception):
    """A clear message for the operator; exit status 1."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m services.api.users", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", choices=ROLES, default="viewer")
    add.add_argument("--password-stdin", action="store_true")
    reset = commands.add_parser("reset-password", help="set a new password")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true")
    set_role = commands.add_parser("set-role", help="change the role (its tokens are revoked)")
    set_role.add_argument("username")
    set_role.add_argument("--role", choices=ROLES, required=True)
    commands.add_parser("list", help="list the accounts")
    for name, effect in (("disable", "sign-in and its tokens stop working"), ("enable", "undo disable")):
        toggle = commands.add_parser(name, help=f"{name} an account ({effect})")
        toggle.add_argument("username")
    return parser


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise CliError("the two passwords differ")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise CliError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return password


async def run(arguments: argparse.Namespace, users: UserStore) -> str:
    """Carry out one command on an open user store; returns what to print."""
    command: str = arguments.command
    if command == "list":
        rows = [
            f"{user.username}\t{user.role}\t{'active' if user.active else 'disabled'}"
            for user in await users.list_users()
        ]
        return "\n".join(rows) if rows else "(no accounts)"
    username: str = arguments.username
    if not re.fullmatch(USERNAME_PATTERN, username):
        raise CliError(f"invalid username {username!r} (letters, digits, _ . @ -; at most 64)")
    if command == "add":
        password = _read_password(arguments.password_stdin)
        record = await asyncio.to_thread(new_user, username, password, arguments.role)
        if not await users.add_user(record):
            raise CliError(f"user {username!r} already exists (use reset-password)")
        return f"added {username} ({arguments.role})"
    existing = await users.get_user(username)
    if existing is None:
        raise CliError(f"no user {username!r}")
    now = datetime.now(UTC)
    # Each change below ends the sessions made before it: tokens issued earlier are refused.
    revoke = {"updated_at": now, "tokens_valid_after": now}
    if command == "reset-password":
        password = _read_password(arguments.password_stdin)
        password_hash = await asyncio.to_thread(hash_password, password)
        await users.put_user(existing.model_copy(update={"password_hash": password_hash, **revoke}))
        return f"password of {username} reset"
    if command == "set-role":
        await users.put_user(existing.model_copy(update={"role": arguments.role, **revoke}))
        return f"{username} is now {arguments.role}"
    active = command == "enable"
    changes = {"active": True, "updated_at": now} if active else {"active": False, **revoke}
    await users.put_user(existing.model_copy(update=changes))
    return f"{username} {'enabled' if active else 'disabled'}"


async def _main(arguments: argparse.Namespace) -> str:
    users = make_user_store(CommonSettings())
    await users.open()
    try:
        return await run(arguments, users)
    finally:
        await users.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run one account command (add, reset-password, set-role, list, disable, enable); the exit status."""
    arguments = _parser().parse_args(argv)
    try:
        print(asyncio.run(_main(arguments)))
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0
