"""Sign-in, refresh, sign-out and `me`, in the envelope of the platform's web client.

Local mode only for the first three (platform mode: the platform signs in; they answer 404). `me` answers
in both modes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi import Request

from services.api.auth_errors import AuthProblem
from services.api.auth_schemas import LoginEnvelope
from services.api.auth_schemas import LoginOut
from services.api.auth_schemas import LoginRequest
from services.api.auth_schemas import MeOut
from services.api.auth_schemas import RefreshRequest
from services.api.auth_schemas import TokensOut
from services.api.auth_schemas import me_out
from services.api.auth_schemas import user_out
from services.api.commands import done
from services.api.dependencies import LOGIN_PATH
from services.api.dependencies import ApiContext
from services.api.dependencies import Authentication
from services.api.dependencies import Context
from services.api.dependencies import CurrentUser
from services.api.login_body import read_body
from services.api.schemas import Envelope
from services.api.sessions import LocalSessions
from services.api.sessions import TokenPair
from services.api.views import now_iso

router = APIRouter(tags=["auth"])

_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "a body that cannot be read"},
    401: {"description": "wrong username or password; bad, expired, revoked or reused token"},
    404: {"description": "platform mode: sign in through the platform"},
    415: {"description": "a body that is neither JSON nor a form"},
    422: {"description": "a body without the expected fields"},
    429: {"description": "too many sign-in attempts (see Retry-After)"},
    503: {"description": "store unavailable, or password checks saturated (see Retry-After)"},
}
_LOGIN_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": LoginRequest.model_json_schema()},
            "application/x-www-form-urlencoded": {"schema": LoginRequest.model_json_schema()},
        },
    }
}
_REFRESH_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": RefreshRequest.model_json_schema()}},
    }
}


def _local(context: ApiContext) -> LocalSessions:
    if context.sessions is None:
        raise AuthProblem(404, "local_login_off")
    return context.sessions


def _tokens(pair: TokenPair) -> TokensOut:
    return TokensOut(
        access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
    )


@router.post(
    LOGIN_PATH,
    summary="Sign in with a username and password (JSON or OAuth2 form)",
    response_model=LoginEnvelope,
    response_model_exclude_none=True,
    responses=_AUTH_ERRORS,
    openapi_extra=_LOGIN_BODY,
)
async def login(context: Context, request: Request) -> LoginEnvelope:
    """Sign in with a username and password; 401 if wrong, 429 when over the attempt limits."""
    sessions = _local(context)
    credentials, from_form = await read_body(request, LoginRequest)
    address = request.client.host if request.client else "unknown"
    await context.login_guard.admit(credentials.username, address)
    user = await context.login_guard.authenticate(context.users, credentials.username, credentials.password)
    if user is None:
        raise AuthProblem(401, "bad_credentials", headers={"WWW-Authenticate": "Bearer"})
    pair = await sessions.sign_in(user)
    data = LoginOut(**_tokens(pair).model_dump(), user=user_out(user))
    answer = LoginEnvelope(data=data, message="登录成功", timestamp=now_iso(context.zone))
    if from_form:  # OAuth2 clients (the /docs "Authorize" button) read the token at the top level
        answer = answer.model_copy(
            update={"access_token": pair.access_token, "token_type": "bearer", "expires_in": pair.expires_in}
        )
    return answer


@router.post(
    "/api/auth/refresh",
    summary="A new access and refresh token for a refresh token (used once: a reuse revokes the sign-in)",
    response_model=Envelope[TokensOut],
    responses=_AUTH_ERRORS,
    openapi_extra=_REFRESH_BODY,
)
async def refresh(context: Context, request: Request) -> Envelope[TokensOut]:
    """A new pair of tokens for a refresh token; a reused refresh token revokes its sign-in (401)."""
    sessions = _local(context)
    body, _ = await read_body(request, RefreshRequest)
    pair, _user = await sessions.refresh(body.refresh_token)
    return done(context, "令牌已刷新", _tokens(pair))


@router.post(
    "/api/auth/logout",
    summary="Sign out: every token of this sign-in stops working",
    response_model=Envelope[dict[str, str]],
    responses=_AUTH_ERRORS,
)
async def logout(context: Context, signed_in: Authentication) -> Envelope[dict[str, str]]:
    """Sign out: every token of this sign-in stops working."""
    sessions = _local(context)
    if signed_in.claims is not None:
        await sessions.sign_out(signed_in.claims)
    return done(context, "已退出登录", {})


@router.get(
    "/api/auth/me",
    summary="The signed-in user",
    response_model=Envelope[MeOut],
    responses={401: _AUTH_ERRORS[401], 503: _AUTH_ERRORS[503]},
)
async def me(context: Context, user: CurrentUser) -> Envelope[MeOut]:
    """The signed-in account, with its role."""
    return done(context, "获取用户信息成功", me_out(user))
