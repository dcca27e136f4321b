"""Sign-in: OAuth2 password form in, bearer token out; and who the token belongs to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordRequestForm

from services.api.auth import authenticate, issue_token
from services.api.dependencies import BEARER, LOGIN_PATH, Context, CurrentUser
from services.api.errors import READ, responses
from services.api.schemas import CurrentUser as CurrentUserOut
from services.api.schemas import Token

router = APIRouter(tags=["auth"])


@router.post(
    LOGIN_PATH,
    summary="Exchange a username and password for a bearer token",
    response_model=Token,
    responses=responses(401, 422, 503, 400, 413),
)
async def login(context: Context, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    user = await authenticate(context.users, form.username, form.password)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail="用户名或密码错误", headers=BEARER)
    token = issue_token(user.username, context.settings)
    return Token(access_token=token, expires_in=context.settings.jwt_expire_minutes * 60)


@router.get(
    "/api/auth/me",
    summary="The signed-in user",
    response_model=CurrentUserOut,
    responses=responses(*READ),
)
async def me(user: CurrentUser) -> CurrentUserOut:
    return CurrentUserOut(username=user.username, role=user.role)
