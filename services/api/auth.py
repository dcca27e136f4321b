"""Accounts: argon2id password hashes and the first admin account (tokens: `tokens`, `sessions`)."""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import UTC
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError

from infrastructure.store.users_port import Role
from infrastructure.store.users_port import UserRecord
from infrastructure.store.users_port import UserStore
from services.api.settings import ApiSettings

logger = logging.getLogger(__name__)

# argon2-cffi's defaults follow RFC 9106's low-memory profile (argon2id, 64 MiB, 3 passes).
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2 hash of a password, as the user store keeps it."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches the stored hash; False too for a hash that cannot be read."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_user(username: str, password: str, role: Role) -> UserRecord:
    """A new active account with a hashed password."""
    now = datetime.now(UTC)
    return UserRecord(
        username=username,
        password_hash=hash_password(password),
        role=role,
        active=True,
        created_at=now,
        updated_at=now,
    )


async def ensure_first_admin(users: UserStore, settings: ApiSettings) -> str | None:
    """Create the admin account from settings if it does not exist yet.

    Returns the password when one had to be generated (dev mode without `SCHEDULER_ADMIN_PASSWORD`), so the
    caller can show it once; an existing account is never changed (use the `users` CLI to reset it).
    """
    if await users.get_user(settings.admin_username) is not None:
        return None
    generated: str | None = None
    if settings.admin_password is not None:
        password = settings.admin_password.get_secret_value()
    elif settings.dev_mode:
        password = generated = secrets.token_urlsafe(12)
    else:
        if not any(user.role == "admin" and user.active for user in await users.list_users()):
            logger.warning(
                "no admin account and no SCHEDULER_ADMIN_PASSWORD: add one with "
                "`python -m services.api.users add NAME --role admin`"
            )
        return None
    record = await asyncio.to_thread(new_user, settings.admin_username, password, "admin")
    if not await users.add_user(record):
        return None  # another API process created it first
    logger.info("created the first admin account %r", settings.admin_username)
    return generated
