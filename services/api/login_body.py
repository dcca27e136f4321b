"""Reading the sign-in and refresh bodies.

JSON (the web client) or a form (OAuth2 password flow of `/docs`, scripts). Anything else is a clear 4xx
envelope, never a 500.
"""

from __future__ import annotations

import json
from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel
from pydantic import ValidationError
from starlette.datastructures import FormData

from services.api.auth_errors import AuthProblem

Model = TypeVar("Model", bound=BaseModel)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def read_body(request: Request, model: type[Model]) -> tuple[Model, bool]:
    """The body as `model`, and whether it came as a form."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        fields, from_form = await _json_fields(request), False
    elif content_type in FORM_TYPES:
        fields, from_form = _form_fields(await _form(request)), True
    else:
        raise AuthProblem(415, "bad_login_body")
    try:
        return model.model_validate(fields), from_form
    except ValidationError as error:
        fields = sorted({str(problem["loc"][0]) for problem in error.errors() if problem["loc"]})
        if not fields:  # not an object at all
            raise AuthProblem(422, "bad_login_body") from None
        raise AuthProblem(422, "bad_login_fields", fields=", ".join(fields)) from None


async def _json_fields(request: Request) -> object:
    try:
        return json.loads(await request.body())
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise AuthProblem(400, "bad_login_body") from None


async def _form(request: Request) -> FormData:
    try:
        return await request.form(max_files=0, max_fields=20)
    except Exception:  # multipart errors have no common public base class
        raise AuthProblem(400, "bad_login_body") from None


def _form_fields(form: FormData) -> dict[str, object]:
    return {key: value for key, value in form.items() if isinstance(value, str)}
