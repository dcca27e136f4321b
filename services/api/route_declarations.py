"""How the scheduler's routes are declared, stated once: their router, a read's and an admin's answers.

Every route under `/api/scheduler` is for the signed-in; a read documents the same errors (401, 422, 503),
an admin's change or command an admin's (401, 403, 422, 503), a command (sent on the bus) also the 202
"accepted, not yet applied" answer of the route's own model. A route names only what is its own: its
path, summary, model, the errors it adds (and its description, or any other option of FastAPI's).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from typing import Literal
from typing import Protocol
from typing import TypeVar

from fastapi import APIRouter
from fastapi import Depends

from services.api.commands import accepted_responses
from services.api.dependencies import current_user
from services.api.errors import ADMIN
from services.api.errors import READ
from services.api.errors import responses

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
Errors = tuple[int, ...]
AnswerTable = dict[int | str, dict[str, Any]]


class Declaration(Protocol):
    """A route's decorator: registers the endpoint and gives it back as it is."""

    def __call__(self, endpoint: Endpoint, /) -> Endpoint:
        """Register `endpoint` as the route."""
        ...


class SchedulerRouter(APIRouter):
    """A router of the scheduler's API: its routes under `prefix`, under one tag, for the signed-in only."""

    def __init__(self, tag: str, *, prefix: str = "/api/scheduler", signed_in: bool = True) -> None:
        super().__init__(
            prefix=prefix, tags=[tag], dependencies=[Depends(current_user)] if signed_in else None
        )

    def read(
        self,
        path: str,
        summary: str,
        model: Any,
        *,
        errors: Errors = (),
        method: Method = "GET",
        **options: Any,
    ) -> Declaration:
        """A route any signed-in user may call: the read errors and `errors`."""
        return self._declare(method, path, summary, model, responses(*READ, *errors), options)

    def change(
        self, method: Method, path: str, summary: str, model: Any, *, errors: Errors = (), **options: Any
    ) -> Declaration:
        """An admin's change the API makes itself, answered at once: the admin errors and `errors`."""
        return self._declare(method, path, summary, model, responses(*ADMIN, *errors), options)

    def command(
        self,
        method: Method,
        path: str,
        summary: str,
        model: Any,
        *,
        errors: Errors = (),
        more_answers: AnswerTable | None = None,
        **options: Any,
    ) -> Declaration:
        """An admin's command sent on the bus: the admin errors, `errors` and its 202 (effect not shown yet).

        `more_answers`: other answers it documents (e.g. a create's 200 when the same request comes again).
        """
        table = responses(*ADMIN, *errors) | accepted_responses(model) | (more_answers or {})
        return self._declare(method, path, summary, model, table, options)

    def _declare(
        self, method: Method, path: str, summary: str, model: Any, table: AnswerTable, options: dict[str, Any]
    ) -> Declaration:
        return self.api_route(
            path, methods=[method], summary=summary, response_model=model, responses=table, **options
        )
