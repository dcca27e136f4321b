"""The user-accounts port: who may sign in to the API, with which role and password hash.

Accounts live in the same database as the read models (table / collection `scheduler_users`) but are not a
read model: no event produces them, and the API (its start-up and its `users` CLI) is their only writer.
Adapters: `sqlite_users.SQLiteUserStore` (embedded default) and `mongo_users.MongoUserStore`.
Password hashes are opaque strings (argon2id, made by `services.api.auth`); nothing here sees a password.

The same adapters keep the revocation state of the API's tokens (tables / collections
`scheduler_token_families` and `scheduler_refresh_tokens`), so that every API process sees a logout, a
reused refresh token or a disabled account at once: a *family* is one sign-in with every access and refresh
token rotated from it; revoking it ends them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from typing import Protocol

from pydantic import AwareDatetime
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from infrastructure.store.lifecycle_port import Lifecycle

Role = Literal["admin", "viewer"]
ROLES: tuple[Role, ...] = ("admin", "viewer")
USERNAME_PATTERN = r"^[A-Za-z0-9_.@-]{1,64}$"


class UserRecord(BaseModel):
    """One operator account. An inactive account cannot sign in and its tokens stop working."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str = Field(pattern=USERNAME_PATTERN)
    password_hash: str = Field(min_length=1)
    role: Role
    active: bool = True
    created_at: AwareDatetime
    updated_at: AwareDatetime
    tokens_valid_after: AwareDatetime | None = Field(
        default=None,
        description="tokens issued before this instant are refused (set by a password reset, a role change, "
        "disabling the account)",
    )


RefreshOutcome = Literal["rotated", "reused", "revoked", "unknown", "expired"]


@dataclass(frozen=True)
class RefreshUse:
    """What using a refresh token once did.

    `rotated` (its family goes on), `reused` (it had been used before: the family is now revoked),
    `revoked`/`expired` (its family ended), `unknown` (never issued).
    """

    outcome: RefreshOutcome
    family: str | None = None
    username: str | None = None


class UserStore(Lifecycle, Protocol):
    """The API's user accounts and their sign-in sessions."""

    async def get_user(self, username: str) -> UserRecord | None:
        """The account with this username; None if there is none."""

    async def add_user(self, record: UserRecord) -> bool:
        """Insert an account unless one with that username exists; False if it did (nothing changed)."""

    async def put_user(self, record: UserRecord) -> None:
        """Insert or replace the account with that username."""

    async def list_users(self) -> list[UserRecord]:
        """Every account, ordered by username."""

    # --- token revocation state ---------------------------------------------------------------------
    async def start_family(self, family: str, username: str, expires_at: datetime) -> None:
        """Record a new sign-in (a token family) that lasts until `expires_at` unless revoked."""

    async def add_refresh_token(self, jti: str, family: str, expires_at: datetime) -> None:
        """Record a refresh token of `family`, usable once."""

    async def use_refresh_token(self, jti: str, now: datetime) -> RefreshUse:
        """Mark the refresh token used, atomically.

        A second use of the same token (by anyone, in any process) revokes its whole family and answers
        `reused`.
        """

    async def revoke_family(self, family: str, now: datetime) -> None:
        """End a sign-in: its access and refresh tokens stop working (idempotent)."""

    async def family_active(self, family: str, now: datetime) -> bool:
        """True while the family exists, is not revoked and has not expired."""

    async def purge_sessions(self, now: datetime) -> int:
        """Forget expired families and refresh tokens; returns how many rows/documents went."""
