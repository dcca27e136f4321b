"""Authentication: argon2id password hashes, HS256 bearer tokens, the first admin account.

Tokens carry only the username (`sub`), `iat` and `exp`: the role and the `active` flag are read from the
user store on every request, so demoting or disabling an account takes effect at once.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from infrastructure.store.users_port import Role, UserRecord, UserStore
from services.api.settings import ApiSettings

logger = logging.getLogger(__name__)

ALGORITHM = "HS256"
# argon2-cffi's defaults follow RFC 9106's low-memory profile (argon2id, 64 MiB, 3 passes).
_hasher = PasswordHasher()
_dummy_hash: str | None = None


class InvalidToken(Exception):
    """The token is malformed, signed with another key or algorithm, expired, or lacks a claim."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _dummy() -> str:
    """A hash to verify against for unknown users, so timing does not reveal which names exist."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password(secrets.token_urlsafe(16))
    return _dummy_hash


async def authenticate(users: UserStore, username: str, password: str) -> UserRecord | None:
    """The active user with these credentials, or None. Hashing runs in a thread (it is slow on purpose)."""
    user = await users.get_user(username)
    password_hash = user.password_hash if user is not None else _dummy()
    matches = await asyncio.to_thread(verify_password, password_hash, password)
    if user is None or not user.active or not matches:
        return None
    return user


def issue_token(username: str, settings: ApiSettings, *, now: datetime | None = None) -> str:
    issued = now or datetime.now(UTC)
    claims = {
        "sub": username,
        "iat": issued,
        "exp": issued + timedelta(minutes=settings.jwt_expire_minutes),
    }
    return jwt.encode(claims, settings.jwt_key, algorithm=ALGORITHM)


def token_username(token: str, settings: ApiSettings) -> str:
    """The `sub` of a valid token. Only HS256 is accepted: `alg=none` and other algorithms fail."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_key,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp", "iat"]},
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from None
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise InvalidToken("claim 'sub' is not a username")
    return subject


def new_user(username: str, password: str, role: Role) -> UserRecord:
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
