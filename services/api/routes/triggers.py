"""Trigger previews: the next runs of a job, and of a trigger text before it is used."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Annotated

from fastapi import HTTPException
from fastapi import Query
from fastapi import status
from fastapi.exceptions import RequestValidationError

from domain.triggers import DstPolicy
from domain.triggers import TriggerError
from domain.triggers import parse_trigger
from domain.triggers import spec_from_legacy_text
from domain.triggers.trading_days import calendar_of
from services.api.commands import done
from services.api.commands import job_not_found
from services.api.dependencies import Context
from services.api.dependencies import JobId
from services.api.errors import WITH_BODY
from services.api.messages import text
from services.api.route_declarations import SchedulerRouter
from services.api.schemas import Envelope
from services.api.trigger_preview import DEFAULT_RUNS
from services.api.trigger_preview import MAX_RUNS
from services.api.trigger_preview import JobNextRuns
from services.api.trigger_preview import PreviewRequest
from services.api.trigger_preview import TriggerPreview
from services.api.trigger_preview import preview
from services.api.trigger_preview import zone_named
from services.api.views import now_iso

router = SchedulerRouter("jobs")

Count = Annotated[int, Query(ge=1, le=MAX_RUNS, description="how many fire times (at most 50)")]


@router.read(
    "/jobs/{job_id}/next-runs",
    "The next fire times of a job, with its trigger in words",
    Envelope[JobNextRuns],
    errors=(404, 409),
)
async def job_next_runs(
    context: Context, job_id: JobId, count: Count = DEFAULT_RUNS
) -> Envelope[JobNextRuns]:
    """A job's next fire times and its trigger in words; 409 if its trigger cannot be previewed."""
    job = await context.store.get_job(job_id)
    if job is None or job.deleted:
        raise job_not_found(job_id)
    spec = spec_from_legacy_text(job.trigger)
    if spec is None:
        detail = text("preview_not_possible", job_id=job_id, trigger=job.trigger)
        raise HTTPException(status.HTTP_409_CONFLICT, detail=detail)
    definition = job.definition or {}
    calendar_id = calendar_of(definition.get("policy") or {})
    calendar = (calendar_id, await context.calendars.get(calendar_id)) if calendar_id else None
    dst = DstPolicy(job.dst_repeated, job.dst_skipped)  # the job's own, as the scheduler fires it
    shown = preview(spec, context.zone, count, dst, datetime.now(UTC), calendar)
    data = JobNextRuns(**shown.model_dump() | {"trigger": job.trigger}, job_id=job_id, paused=job.paused)
    message = text("preview_next_runs", job_id=job_id, count=len(data.next_runs))
    return done(context, message, data)


@router.read(
    "/triggers/preview",
    "The next fire times of a trigger text and its description, before it is used",
    Envelope[TriggerPreview],
    errors=WITH_BODY,
    description="Checks the trigger as a job's would be (the frequency floor included): a text that does "
    "not parse answers 422 naming the field and the problem, e.g. `minute 61 is outside 0-59`.",
    method="POST",
)
async def preview_trigger(context: Context, request: PreviewRequest) -> Envelope[TriggerPreview]:
    """The next fire times of a trigger text and its description, before it is used."""
    try:
        zone = zone_named(request.timezone) if request.timezone else context.zone
    except ValueError as error:
        raise _invalid("timezone", str(error)) from None
    try:
        spec = parse_trigger(request.trigger, min_interval_s=context.settings.trigger_min_interval_s)
    except TriggerError as error:
        raise _invalid("trigger", str(error)) from None
    dst = DstPolicy(request.dst.repeated, request.dst.skipped)
    calendar_id = calendar_of(request.policy.model_dump()) if request.policy is not None else None
    calendar = (calendar_id, await context.calendars.get(calendar_id)) if calendar_id else None
    data = preview(spec, zone, request.count, dst, datetime.now(UTC), calendar)
    return Envelope(
        data=data, message=text("preview_described", description=data.description), timestamp=now_iso(zone)
    )


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"loc": ("body", field), "msg": message, "type": "value_error"}])
