"""Checks against the read models, then one confirmed publish: what every command route does."""

from __future__ import annotations

import logging

from fastapi import HTTPException, status

from contracts.envelope import Command
from domain.records import ExecutionRecord, JobRecord
from infrastructure.bus.port import BusUnavailable
from services.api.dependencies import ApiContext
from services.api.errors import BUS_UNAVAILABLE, RETRY_AFTER
from services.api.schemas import Envelope
from services.api.views import now_iso

logger = logging.getLogger(__name__)


def job_not_found(job_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=f"任务 {job_id} 不存在")


async def existing_job(context: ApiContext, job_id: str) -> JobRecord:
    job = await context.store.get_job(job_id)
    if job is None:
        raise job_not_found(job_id)
    return job


async def existing_execution(context: ApiContext, execution_id: str) -> ExecutionRecord:
    execution = await context.store.get_execution(execution_id)
    if execution is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"执行记录 {execution_id} 不存在")
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
            status.HTTP_503_SERVICE_UNAVAILABLE, detail=BUS_UNAVAILABLE, headers=RETRY_AFTER
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


def accepted(context: ApiContext, message: str) -> Envelope[None]:
    """The answer to a published command: `data` null, the message says what was asked."""
    return Envelope(data=None, message=message, timestamp=now_iso(context.zone))
