"""How the scheduler's routes are declared, stated once: their router, a read's and a command's answers.

Every route under `/api/scheduler` is for the signed-in; a read documents the same errors (401, 422, 503),
an admin's change or command an admin's (401, 403, 422, 503), a command (sent on the bus) also the 202
"accepted, not yet applied" answer of the route's own model. A route names only what is its own: its path,
summary, model and the statuses it adds (and its description, or any other option of FastAPI's).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Depends
from fastapi.types import DecoratedCallable

from services.api.commands import accepted_responses
from services.api.dependencies import current_user
from services.api.errors import ADMIN, READ, responses

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
AnswerTable = dict[int | str, dict[str, Any]]


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
        *errors: int,
        method: Method = "GET",
        **options: Any,
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """A route any signed-in user may call: `model` answered, the read errors and `errors` documented."""
        return self._route(method, path, summary, model, responses(*READ, *errors), options)

    def change(
        self, method: Method, path: str, summary: str, model: Any, *errors: int, **options: Any
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """An admin's change the API makes itself, answered at once: the admin errors and `errors`."""
        return self._route(method, path, summary, model, responses(*ADMIN, *errors), options)

    def command(
        self,
        method: Method,
        path: str,
        summary: str,
        model: Any,
        *errors: int,
        more_answers: AnswerTable | None = None,
        **options: Any,
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """An admin's command sent on the bus: the admin errors, `errors` and its 202 documented.

        202: accepted, its effect not shown by the reads yet. `more_answers`: other answers it documents (e.g.
        a create's 200 when the same request comes again).
        """
        table = responses(*ADMIN, *errors) | accepted_responses(model)
        return self._route(method, path, summary, model, table | (more_answers or {}), options)

    def _route(
        self,
        method: Method,
        path: str,
        summary: str,
        model: Any,
        table: AnswerTable,
        options: dict[str, Any],
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.api_route(
            path,
            methods=[method],
            summary=summary,
            response_model=model,
            responses=table,
            **options,
        )
