"""Sign-in and token failures as the web client reads them.

The envelope `{success: false, data: null, message, code, timestamp}` (plus `detail`, the key every other
error answer of this API uses), in the caller's language (`Accept-Language: en...` gives English, anything
else Chinese).
"""

from __future__ import annotations

from typing import Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from services.api.language import negotiate
from services.api.views import now_iso

Language = Literal["zh", "en"]

MESSAGES: dict[str, tuple[str, str]] = {
    "bad_credentials": ("用户名或密码错误", "Invalid username or password"),
    "no_token": (
        "未提供认证令牌（需要 Authorization: Bearer <token>）",
        "No token (send Authorization: Bearer <token>)",
    ),
    "bad_token": ("认证令牌无效或已过期", "The token is invalid or has expired"),
    "revoked": ("认证令牌已被撤销，请重新登录", "The token has been revoked; please sign in again"),
    "inactive": ("用户不存在或已停用", "The user does not exist or is disabled"),
    "bad_refresh": ("刷新令牌无效或已过期，请重新登录", "The refresh token is invalid or has expired"),
    "refresh_reused": (
        "刷新令牌已被使用过：为安全起见，该登录的所有令牌均已撤销，请重新登录",
        "The refresh token was already used: every token of this sign-in is now revoked; sign in again",
    ),
    "forbidden": ("需要管理员权限", "Admin rights are needed"),
    "too_many_logins": (
        "登录尝试过于频繁，请 {retry_after} 秒后再试",
        "Too many sign-in attempts; retry in {retry_after} s",
    ),
    "busy": ("服务器繁忙，请稍后重试", "The server is busy; please retry shortly"),
    "bad_login_body": (
        "请求体应为 JSON 对象或表单（登录：username、password；刷新：refresh_token）",
        "The body must be a JSON object or a form (sign-in: username, password; refresh: refresh_token)",
    ),
    "bad_login_fields": ("请求体字段缺失或无效：{fields}", "Missing or invalid fields in the body: {fields}"),
    "local_login_off": (
        "本服务使用平台的登录（SCHEDULER_AUTH_MODE=platform），请通过平台登录",
        "This service uses the platform's sign-in (SCHEDULER_AUTH_MODE=platform)",
    ),
    "too_many_streams": (
        "实时事件流连接过多（上限 {limit}），请关闭其他页面后重试",
        "Too many live-stream connections (limit {limit}); close other pages and retry",
    ),
}


def language(request: Request) -> Language:
    """The same choice as every other text of the API (`services.api.language.negotiate`)."""
    return negotiate(request.headers.get("accept-language"))


def message(key: str, lang: Language, **values: object) -> str:
    """The text of a sign-in message `key` in `lang`, with its values filled in."""
    chinese, english = MESSAGES[key]
    return (english if lang == "en" else chinese).format(**values)


class AuthProblem(Exception):
    """A 4xx about who the caller is; answered as an envelope by the handler installed below."""

    def __init__(
        self, status: int, key: str, *, headers: dict[str, str] | None = None, **values: object
    ) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.headers = headers or {}
        self.values = values


def problem_response(request: Request, problem: AuthProblem) -> JSONResponse:
    """The web client's error envelope for a sign-in or token failure, in the caller's language."""
    text = message(problem.key, language(request), **problem.values)
    zone = request.app.state.api.zone
    body = {
        "success": False,
        "data": None,
        "message": text,
        "detail": text,
        "code": problem.status,
        "timestamp": now_iso(zone),
    }
    return JSONResponse(body, status_code=problem.status, headers=problem.headers)


async def _handle(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, AuthProblem)
    return problem_response(request, error)


def install_auth_errors(app: FastAPI) -> None:
    """Answer `AuthProblem` raised by any route with the web client's error envelope."""
    app.add_exception_handler(AuthProblem, _handle)
