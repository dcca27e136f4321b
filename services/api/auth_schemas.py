"""Wire shapes of sign-in, refresh, sign-out and `me` (those of the platform's web client)."""

from __future__ import annotations

from typing import Any
from typing import Literal

from pydantic import BaseModel
from pydantic import Field

from infrastructure.store.users_port import UserRecord
from services.api.schemas import Envelope

USERNAME_MAX = 64
PASSWORD_MAX = 1024
TOKEN_MAX = 4096


class LoginRequest(BaseModel):
    """A username and password to sign in with."""

    username: str = Field(min_length=1, max_length=USERNAME_MAX)
    password: str = Field(min_length=1, max_length=PASSWORD_MAX)


class RefreshRequest(BaseModel):
    """A refresh token to trade for a new pair of tokens (usable once)."""

    refresh_token: str = Field(min_length=1, max_length=TOKEN_MAX)


class UserOut(BaseModel):
    """An account as the web client shows it."""

    id: str = Field(description="the username (accounts have no other id)")
    username: str
    email: str = ""
    name: str
    is_admin: bool


class MeOut(UserOut):
    """The signed-in account, with its role."""

    role: Literal["admin", "viewer"]
    roles: list[str]
    preferences: dict[str, Any] = Field(default_factory=dict)


class TokensOut(BaseModel):
    """An access token and a refresh token, with the access token's lifetime."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds the access token lasts")


class LoginOut(TokensOut):
    """The tokens of a new sign-in and the account signed in."""

    user: UserOut


class LoginEnvelope(Envelope[LoginOut]):
    """For an OAuth2 form sign-in (`/docs`, scripts) the token is also at the top level (RFC 6749)."""

    access_token: str | None = None
    token_type: Literal["bearer"] | None = None
    expires_in: int | None = None


def user_out(user: UserRecord) -> UserOut:
    """The web client's view of an account."""
    return UserOut(
        id=user.username, username=user.username, name=user.username, is_admin=user.role == "admin"
    )


def me_out(user: UserRecord) -> MeOut:
    """The web client's view of the signed-in account, with its role."""
    return MeOut(**user_out(user).model_dump(), role=user.role, roles=[user.role])
