"""The API's own tokens (local mode): short-lived access tokens and rotating refresh tokens, HS256.

Both carry `sub` (username), `iat`, `exp`, `jti` (unique id), `fam` (the sign-in they descend from) and
`typ` (`access` or `refresh`: one is never accepted as the other). `iat` keeps fractions of a second, so a
password reset revokes exactly the tokens issued before it. Revocation state lives in the user store.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Literal

import jwt

ALGORITHM = "HS256"
TokenType = Literal["access", "refresh"]
REQUIRED_CLAIMS = ["sub", "exp", "iat", "jti", "fam", "typ"]


class InvalidToken(Exception):
    """The token cannot be accepted.

    The token is malformed, signed with another key or algorithm, expired, of the wrong type, or lacks a
    claim.
    """


@dataclass(frozen=True)
class TokenClaims:
    """What one of our tokens says: whose, issued and expiring when, its id, sign-in and type."""

    username: str
    issued_at: datetime
    expires_at: datetime
    jti: str
    family: str
    type: TokenType


def new_family() -> str:
    """A fresh sign-in (token family) id."""
    return uuid.uuid4().hex


def issue_token(
    username: str,
    key: str,
    *,
    family: str,
    lifetime: timedelta,
    token_type: TokenType = "access",
    now: datetime | None = None,
) -> tuple[str, TokenClaims]:
    """A signed token for `username` in `family`, lasting `lifetime`, and its claims."""
    issued = now or datetime.now(UTC)
    claims = TokenClaims(username, issued, issued + lifetime, uuid.uuid4().hex, family, token_type)
    payload = {
        "sub": username,
        "iat": issued.timestamp(),
        "exp": int(claims.expires_at.timestamp()),
        "jti": claims.jti,
        "fam": family,
        "typ": token_type,
    }
    return jwt.encode(payload, key, algorithm=ALGORITHM), claims


def read_token(token: str, key: str, token_type: TokenType, *, verify_expiry: bool = True) -> TokenClaims:
    """The claims of a valid token of this type. Only HS256: `alg=none` and other algorithms fail."""
    options = {"require": REQUIRED_CLAIMS, "verify_exp": verify_expiry}
    try:
        payload = jwt.decode(token, key, algorithms=[ALGORITHM], options=options)  # type: ignore[arg-type]
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from None
    if payload.get("typ") != token_type:
        raise InvalidToken(f"not an {token_type} token")
    subject, jti, family = payload.get("sub"), payload.get("jti"), payload.get("fam")
    if not all(isinstance(value, str) and 0 < len(value) <= 200 for value in (subject, jti, family)):
        raise InvalidToken("claims 'sub', 'jti' and 'fam' must be short strings")
    assert isinstance(subject, str) and isinstance(jti, str) and isinstance(family, str)
    return TokenClaims(
        subject,
        datetime.fromtimestamp(float(payload["iat"]), UTC),
        datetime.fromtimestamp(float(payload["exp"]), UTC),
        jti,
        family,
        token_type,
    )
