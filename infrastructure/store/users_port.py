"""The user-accounts port: who may sign in to the API, with which role and password hash.

Accounts live in the same database as the read models (table / collection `scheduler_users`) but are not a
read model: no event produces them, and the API (its start-up and its `users` CLI) is their only writer.
Adapters: `sqlite_users.SQLiteUserStore` (embedded default) and `mongo_users.MongoUserStore`.
Password hashes are opaque strings (argon2id, made by `services.api.auth`); nothing here sees a password.
"""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

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


class UserStore(Protocol):
    async def open(self) -> None:
        """Connect and create the table/collection if missing. Called by the composition root."""

    async def close(self) -> None: ...

    async def get_user(self, username: str) -> UserRecord | None: ...

    async def add_user(self, record: UserRecord) -> bool:
        """Insert an account unless one with that username exists; False if it did (nothing changed)."""

    async def put_user(self, record: UserRecord) -> None:
        """Insert or replace the account with that username."""

    async def list_users(self) -> list[UserRecord]:
        """Every account, ordered by username."""
