"""Local mode: sign-in, refresh with rotation, sign-out, and the check of every access token.

A sign-in starts a *family* in the user store; each refresh uses its refresh token once (atomically, in the
store, so it holds with several API processes) and gets a new pair; a refresh token used twice revokes the
family (whoever holds a stolen copy is locked out along with the owner, who signs in again). Sign-out
revokes the family. A password reset, role change or disable sets the account's `tokens_valid_after`:
every token issued before it is refused.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from infrastructure.background import Repeating
from infrastructure.background import every
from infrastructure.store.users_port import UserRecord
from infrastructure.store.users_port import UserStore
from services.api.auth_errors import AuthProblem
from services.api.authenticator import Authenticated
from services.api.settings import ApiSettings
from services.api.tokens import InvalidToken
from services.api.tokens import TokenClaims
from services.api.tokens import issue_token
from services.api.tokens import new_family
from services.api.tokens import read_token

logger = logging.getLogger(__name__)
BEARER = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class TokenPair:
    """An access token and a refresh token of one sign-in, with the access token's lifetime."""

    access_token: str
    refresh_token: str
    expires_in: int
    """seconds the access token lasts"""


def unauthorized(key: str) -> AuthProblem:
    """The 401 problem `key`, with the `WWW-Authenticate: Bearer` header."""
    return AuthProblem(401, key, headers=BEARER)


def issued_before_cutoff(user: UserRecord, claims: TokenClaims) -> bool:
    """Whether the token was issued before the account's tokens were revoked."""
    return user.tokens_valid_after is not None and claims.issued_at < user.tokens_valid_after


class LocalSessions:
    """Sign-in sessions of local accounts: our own tokens, refresh tokens usable once, revocation."""

    def __init__(self, users: UserStore, settings: ApiSettings) -> None:
        self._users = users
        self._key = settings.jwt_key
        self._access = timedelta(minutes=settings.jwt_expire_minutes)
        self._refresh = timedelta(days=settings.refresh_expire_days)

    async def sign_in(self, user: UserRecord) -> TokenPair:
        """Start a sign-in (a token family) for `user` and issue its first pair of tokens."""
        now = datetime.now(UTC)
        family = new_family()
        await self._users.start_family(family, user.username, now + self._refresh)
        return await self._pair(user.username, family, now, now + self._refresh)

    async def refresh(self, refresh_token: str) -> tuple[TokenPair, UserRecord]:
        """A new pair of tokens for a refresh token; 401 if bad or reused (a reuse revokes the sign-in)."""
        try:
            claims = read_token(refresh_token, self._key, "refresh")
        except InvalidToken:
            raise unauthorized("bad_refresh") from None
        now = datetime.now(UTC)
        use = await self._users.use_refresh_token(claims.jti, now)
        if use.outcome == "reused":
            raise unauthorized("refresh_reused")
        if use.outcome != "rotated":
            raise unauthorized("bad_refresh")
        user = await self._active_user(claims)
        # The family keeps its end: rotation never makes a sign-in last longer than refresh_expire_days.
        return await self._pair(user.username, claims.family, now, claims.expires_at), user

    async def sign_out(self, claims: TokenClaims) -> None:
        """End the sign-in the token belongs to: its tokens stop working."""
        await self._users.revoke_family(claims.family, datetime.now(UTC))

    async def authenticate(self, token: str) -> Authenticated:
        """The user of an access token; 401 if bad, expired, revoked, or the user is disabled."""
        try:
            claims = read_token(token, self._key, "access")
        except InvalidToken:
            raise unauthorized("bad_token") from None
        user = await self._active_user(claims)
        if not await self._users.family_active(claims.family, datetime.now(UTC)):
            raise unauthorized("revoked")
        return Authenticated(user, claims)

    async def still_valid(self, token: str) -> bool:
        """Whether the token's sign-in and user are still valid (expiry not checked)."""
        try:
            claims = read_token(token, self._key, "access", verify_expiry=False)
            await self._active_user(claims)
        except (InvalidToken, AuthProblem):
            return False
        return await self._users.family_active(claims.family, datetime.now(UTC))

    async def _active_user(self, claims: TokenClaims) -> UserRecord:
        user = await self._users.get_user(claims.username)
        if user is None or not user.active:
            raise unauthorized("inactive")
        if issued_before_cutoff(user, claims):
            raise unauthorized("revoked")
        return user

    async def _pair(self, username: str, family: str, now: datetime, family_end: datetime) -> TokenPair:
        access_end = min(now + self._access, family_end)
        access, _ = issue_token(username, self._key, family=family, lifetime=access_end - now, now=now)
        refresh, claims = issue_token(
            username, self._key, family=family, lifetime=family_end - now, token_type="refresh", now=now
        )
        await self._users.add_refresh_token(claims.jti, family, claims.expires_at)
        return TokenPair(access, refresh, max(1, int((access_end - now).total_seconds())))


PURGE_INTERVAL_S = 600.0


async def purge_expired_sessions(users: UserStore, interval_s: float = PURGE_INTERVAL_S) -> None:
    """Forget ended sign-ins and used-up refresh tokens now and then.

    SQLite has no TTL index; several API processes doing it is harmless.
    """

    async def purge() -> None:
        try:
            removed = await users.purge_sessions(datetime.now(UTC))
            if removed:
                logger.info("forgot %d expired sign-in rows", removed)
        except Exception:  # the store may be down for a while: try again next time
            logger.warning("could not purge expired sign-ins", exc_info=True)

    failure = "could not purge expired sign-ins"
    await Repeating(purge, every(interval_s), failure, logger=logger).forever()
