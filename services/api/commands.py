"""What every command route does.

Checks against the read models, one confirmed publish, then the answer once the effect shows (read your
writes, bounded; `read_your_writes`).
"""

from __future__ import annotations

import logging
from typing import Annotated
from typing import Any
from typing import TypeVar
from urllib.parse import quote

from fastapi import HTTPException
from fastapi import Query
from fastapi import Response
from fastapi import status

from contracts.envelope import Command
from domain.records import ExecutionRecord
from domain.records import JobRecord
from infrastructure.bus.port import BusUnavailable
from services.api.dependencies import ApiContext
from services.api.errors import RETRY_AFTER
from services.api.messages import text
from services.api.read_your_writes import Applied
from services.api.read_your_writes import applied_within
from services.api.schemas import Envelope
from services.api.views import now_iso

logger = logging.getLogger(__name__)

T = TypeVar("T")

Wait = Annotated[
    bool,
    Query(
        description="true (default): answer once the reads show the command's effect (200), or after the "
        'configured wait with 202 "accepted, not yet applied"; false: answer 202 at once'
    ),
]


def accepted_responses(model: Any = Envelope[None]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of a command's 202 answer."""
    return {
        202: {
            "model": model,
            "description": "accepted, not yet applied (wait=false, or the reads did not show it within "
            "the wait): the `Location` header says where to look",
        }
    }


def execution_location(execution_id: str) -> str:
    """The API path of an execution (the `Location` of an accepted command)."""
    return f"/api/scheduler/executions/{quote(execution_id, safe='')}"


def job_not_found(job_id: str) -> HTTPException:
    """The 404 answer for a job that does not exist, in the caller's language."""
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=text("job_not_found", job_id=job_id))


def execution_not_found(execution_id: str) -> HTTPException:
    """The 404 answer for an execution that does not exist, in the caller's language."""
    return HTTPException(
        status.HTTP_404_NOT_FOUND, detail=text("execution_not_found", execution_id=execution_id)
    )


async def existing_job(context: ApiContext, job_id: str) -> JobRecord:
    """The job's record; 404 if there is none or it was deleted."""
    job = await context.store.get_job(job_id)
    if job is None or job.deleted:  # a deleted job's executions stay readable, the job does not
        raise job_not_found(job_id)
    return job


async def existing_execution(context: ApiContext, execution_id: str) -> ExecutionRecord:
    """The execution's record; 404 if there is none."""
    execution = await context.store.get_execution(execution_id)
    if execution is None:
        raise execution_not_found(execution_id)
    return execution


async def publish(context: ApiContext, command: Command) -> None:
    """Publish with confirmation; 503 (and nothing sent) when the bus cannot take it."""
    try:
        await context.bus.publish(command)
    except BusUnavailable as error:
        context.metrics.command_failures.labels(command.type).inc()
        logger.warning(
            "command %s by %s not published: %s",
            command.type,
            command.actor,
            error,
            extra=_log_fields(command),
        )
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, detail=text("bus_unavailable"), headers=RETRY_AFTER
        ) from None
    context.metrics.commands_published.labels(command.type).inc()
    logger.info("published %s by %s", command.type, command.actor, extra=_log_fields(command))


def _log_fields(command: Command) -> dict[str, str]:
    """Structured fields of a log line about a command (only those it has)."""
    fields = {
        "command_id": command.message_id,
        "correlation_id": command.correlation_id,
        "job_id": getattr(command, "job_id", None),
        "execution_id": getattr(command, "execution_id", None),
    }
    return {name: value for name, value in fields.items() if value is not None}


def done(context: ApiContext, message: str, data: T = None) -> Envelope[T]:  # type: ignore[assignment]
    """The envelope of a successful answer with `message` and `data`, stamped in the API's zone."""
    return Envelope(data=data, message=message, timestamp=now_iso(context.zone))


async def answer(
    context: ApiContext,
    response: Response,
    *,
    wait: bool,
    applied: Applied,
    message: str,
    what: str,
    location: str,
    data: T,
) -> Envelope[T]:
    """200 with `message` once the reads show the effect; else 202, `Location` and "not yet applied"."""
    if wait and await applied_within(applied, context.settings.command_wait_s):
        return Envelope(data=data, message=message, timestamp=now_iso(context.zone))
    response.status_code = status.HTTP_202_ACCEPTED
    response.headers["Location"] = location
    pending = text("not_yet_applied", what=what, location=location)
    return Envelope(data=data, message=pending, timestamp=now_iso(context.zone))
