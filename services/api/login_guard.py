"""What stands between a password guesser and the password hashes.

- Attempts are limited per username and per client address (moving one-minute windows, the `limits`
  library's in-memory storage: the counts are per API process, so N API processes allow N times as many;
  run one API process, or put a limit at the reverse proxy too). Over the limit: 429 with `Retry-After`.
- Hashing (argon2id, 64 MiB each) runs in a pool of its own with a bounded queue; when the queue is full
  the attempt is answered 503 with `Retry-After` at once instead of piling up memory and threads.
- A failed sign-in costs the same whether or not the user exists: an unknown or disabled user is checked
  against a dummy hash made with the same parameters.
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from infrastructure.store.users_port import UserRecord
from infrastructure.store.users_port import UserStore
from services.api.auth import hash_password
from services.api.auth import verify_password
from services.api.auth_errors import AuthProblem

T = TypeVar("T")
BUSY_RETRY_AFTER_S = 1


class HashPoolFull(Exception):
    """Every hashing worker is busy and the queue is full."""


class PasswordHashPool:
    """A few threads for argon2, and at most `queue` calls waiting for them; the rest are refused."""

    def __init__(self, workers: int, queue: int) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="password-hash")
        self._capacity = workers + queue
        self._in_flight = 0

    async def run(self, function: Callable[..., T], *arguments: object) -> T:
        """Run `function` on the hashing threads; HashPoolFull when the queue is full."""
        if self._in_flight >= self._capacity:
            raise HashPoolFull
        self._in_flight += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, function, *arguments)
        finally:
            self._in_flight -= 1

    def close(self) -> None:
        """Stop the hashing threads; work not started is dropped."""
        self._executor.shutdown(wait=False, cancel_futures=True)


class LoginGuard:
    """Limits sign-in attempts per username and address, and hashes passwords off the event loop."""

    def __init__(self, *, per_username: int, per_address: int, hash_workers: int, hash_queue: int) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_username = RateLimitItemPerMinute(per_username)
        self._per_address = RateLimitItemPerMinute(per_address)
        self.pool = PasswordHashPool(hash_workers, hash_queue)
        self._dummy_hash: str | None = None

    async def prepare(self) -> None:
        """Make the dummy hash now, so the first unknown-user attempt costs what every other one does."""
        if self._dummy_hash is None:
            self._dummy_hash = await self.pool.run(hash_password, secrets.token_urlsafe(16))

    async def admit(self, username: str, address: str) -> None:
        """Count one attempt for both keys; 429 with `Retry-After` when either is over its limit."""
        checks = ((self._per_username, "username", username.lower()), (self._per_address, "address", address))
        for item, kind, key in checks:
            if not await self._limiter.hit(item, "login", kind, key):
                reset_at, _ = await self._limiter.get_window_stats(item, "login", kind, key)
                retry_after = max(1, math.ceil(reset_at - time.time()))
                raise AuthProblem(
                    429, "too_many_logins", headers={"Retry-After": str(retry_after)}, retry_after=retry_after
                )

    async def authenticate(self, users: UserStore, username: str, password: str) -> UserRecord | None:
        """The active user with these credentials, or None; exactly one hash check either way."""
        try:
            await self.prepare()
            assert self._dummy_hash is not None
            user = await users.get_user(username)
            known = user is not None and user.active
            password_hash = user.password_hash if user is not None and known else self._dummy_hash
            matches = await self.pool.run(verify_password, password_hash, password)
        except HashPoolFull:
            raise AuthProblem(503, "busy", headers={"Retry-After": str(BUSY_RETRY_AFTER_S)}) from None
        return user if known and matches else None

    def close(self) -> None:
        """Stop the hashing threads."""
        self.pool.close()
