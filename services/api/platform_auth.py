"""Platform mode: the platform's own tokens are trusted, its `users` collection says who is who.

The platform signs HS256 (its `JWT_SECRET`) tokens with only `sub` (the username) and `exp`. We check the
signature with the configured algorithm only (`none` and any other are refused), require both claims, then
read `is_admin` (admin, else viewer) and `is_active` from its `users` collection, cached for at most
`platform_users_cache_s` seconds (so a disabled platform user is refused within that time).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from datetime import UTC
from datetime import datetime

import jwt

from infrastructure.store.platform_users_port import PlatformUser
from infrastructure.store.platform_users_port import PlatformUserDirectory
from infrastructure.store.users_port import UserRecord
from services.api.authenticator import Authenticated
from services.api.sessions import unauthorized
from services.api.settings import ApiSettings
from services.api.tokens import InvalidToken

CACHE_ENTRIES = 1024
PLATFORM_ACCOUNT = "(platform account)"


class PlatformTokens:
    """Accepts the platform's own tokens and looks their users up in the platform's accounts (cached)."""

    def __init__(self, directory: PlatformUserDirectory, settings: ApiSettings) -> None:
        self._directory = directory
        self._key = settings.platform_key
        self._algorithm = settings.platform_jwt_algorithm
        self._cache_s = settings.platform_users_cache_s
        self._cache: OrderedDict[str, tuple[float, PlatformUser | None]] = OrderedDict()

    async def authenticate(self, token: str) -> Authenticated:
        """The user of a platform token; 401 if it is bad, expired, or its account unknown or inactive."""
        try:
            username = self._subject(token, verify_expiry=True)
        except InvalidToken:
            raise unauthorized("bad_token") from None
        account = await self._account(username)
        if account is None or not account.is_active:
            raise unauthorized("inactive")
        now = datetime.now(UTC)
        # Not validated: the platform's usernames need not follow our own accounts' pattern.
        user = UserRecord.model_construct(
            username=username,
            password_hash=PLATFORM_ACCOUNT,
            role="admin" if account.is_admin else "viewer",
            active=True,
            created_at=now,
            updated_at=now,
            tokens_valid_after=None,
        )
        return Authenticated(user)

    async def still_valid(self, token: str) -> bool:
        """Whether the token's account is still known and active (expiry not checked)."""
        try:
            username = self._subject(token, verify_expiry=False)
        except InvalidToken:
            return False
        account = await self._account(username)
        return account is not None and account.is_active

    def _subject(self, token: str, *, verify_expiry: bool) -> str:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[self._algorithm],
                options={"require": ["sub", "exp"], "verify_exp": verify_expiry},
            )
        except jwt.PyJWTError as error:
            raise InvalidToken(str(error)) from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not 0 < len(subject) <= 200:
            raise InvalidToken("claim 'sub' is not a username")
        return subject

    async def _account(self, username: str) -> PlatformUser | None:
        now = time.monotonic()
        cached = self._cache.get(username)
        if cached is not None and now - cached[0] < self._cache_s:
            return cached[1]
        account = await self._directory.find_user(username)
        self._cache[username] = (now, account)
        self._cache.move_to_end(username)
        while len(self._cache) > CACHE_ENTRIES:
            self._cache.popitem(last=False)
        return account
