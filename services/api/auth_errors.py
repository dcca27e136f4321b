"""Sign-in and token failures as the web client reads them.

The envelope `{success: false, data: null, message, code, timestamp}` (plus `detail`, the key every other
error answer of this API uses), in the caller's language (`Accept-Language: en...` gives English, anything
else Chinese).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi import Request
from fastapi.responses import JSONResponse

from services.api.language import Language
from services.api.language import negotiate
from services.api.messages import text
from services.api.views import now_iso


def language(request: Request) -> Language:
    """The same choice as every other text of the API (`services.api.language.negotiate`)."""
    return negotiate(request.headers.get("accept-language"))


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
    said = text(problem.key, language(request), **problem.values)
    zone = request.app.state.api.zone
    body = {
        "success": False,
        "data": None,
        "message": said,
        "detail": said,
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
