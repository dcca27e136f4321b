"""Who a bearer token belongs to: the port the routes use, whatever the auth mode.

`sessions.LocalSessions` (our accounts, our tokens) and `platform_auth.PlatformTokens` (the platform's
tokens and users collection) implement it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from infrastructure.store.users_port import UserRecord
from services.api.tokens import TokenClaims


@dataclass(frozen=True)
class Authenticated:
    """The signed-in user, and the claims of our own token (None for a platform token)."""

    user: UserRecord
    claims: TokenClaims | None = None
    """Our own token's claims (local mode); None for a platform token."""


class Authenticator(Protocol):
    """Who a bearer token belongs to: our own sessions (local mode) or the platform's tokens."""

    async def authenticate(self, token: str) -> Authenticated:
        """The signed-in user of a token.

        The signed-in user, or `AuthProblem` (401) when the token is bad, expired, revoked, or its
        user is unknown or disabled.
        """

    async def still_valid(self, token: str) -> bool:
        """Whether a long-lived connection's token and user are still valid.

        For long-lived connections (the live stream): False once the token has been revoked or its user
        disabled or changed; expiry alone does not end an open stream.
        """
