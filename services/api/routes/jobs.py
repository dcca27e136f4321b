"""Jobs of the catalogue: list, detail, metadata, pause, resume, manual trigger, execution stats."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import Body
from fastapi import HTTPException
from fastapi import Query
from fastapi import Response
from fastapi import status

from contracts.commands import PauseJob
from contracts.commands import ResumeJob
from contracts.commands import TriggerJob
from contracts.commands import UpdateJobMetadata
from contracts.envelope import utc_now
from domain.records import JobRecord
from domain.scheduling.one_offs import one_off_refusal
from infrastructure.store.users_port import UserRecord
from services.api.commands import Wait
from services.api.commands import answer
from services.api.commands import done
from services.api.commands import execution_location
from services.api.commands import existing_job
from services.api.commands import job_not_found
from services.api.commands import publish
from services.api.dependencies import AdminUser
from services.api.dependencies import ApiContext
from services.api.dependencies import Context
from services.api.dependencies import JobId
from services.api.errors import READ
from services.api.errors import WITH_BODY
from services.api.errors import responses
from services.api.messages import text
from services.api.parameters import checked_kwargs
from services.api.publish_and_answer import Subject
from services.api.publish_and_answer import publish_and_answer
from services.api.read_your_writes import execution_shown
from services.api.read_your_writes import job_paused
from services.api.read_your_writes import metadata_shown
from services.api.route_declarations import SchedulerRouter
from services.api.schemas import Envelope
from services.api.schemas import Job
from services.api.schemas import JobDetail
from services.api.schemas import JobExecutionStats
from services.api.schemas import MetadataUpdate
from services.api.schemas import TriggerRequest
from services.api.schemas import TriggerResult
from services.api.views import iso
from services.api.views import job_detail_out
from services.api.views import job_out
from services.api.views import stats_out

router = SchedulerRouter("jobs")


@router.get("/jobs", summary="List the jobs", response_model=Envelope[list[Job]], responses=responses(*READ))
async def list_jobs(context: Context) -> Envelope[list[Job]]:
    """Every job that is not deleted."""
    jobs = [job_out(view, context.zone) for view in await context.store.list_jobs() if not view.job.deleted]
    return done(context, text("jobs_listed", count=len(jobs)), jobs)


@router.read("/jobs/{job_id}", "One job with its details", Envelope[JobDetail], errors=(404,))
async def get_job(context: Context, job_id: JobId) -> Envelope[JobDetail]:
    """One job with its details; 404 if there is none (or it was deleted)."""
    view = await context.store.get_job_view(job_id)
    if view is None or view.job.deleted:
        raise job_not_found(job_id)
    return done(context, text("job_detail"), job_detail_out(view, context.zone))


@router.command(
    "PUT",
    "/jobs/{job_id}/metadata",
    "Change a job's display name and/or description (admin)",
    Envelope[None],
    errors=(*WITH_BODY, 404),
    description="A field left out (or null) keeps its value; with neither field nothing is sent.",
)
async def update_metadata(
    context: Context,
    user: AdminUser,
    job_id: JobId,
    update: MetadataUpdate,
    response: Response,
    wait: Wait = True,
) -> Envelope[None]:
    """Change a job's display name and description; nothing to change is answered at once."""
    await existing_job(context, job_id)
    if update.display_name is None and update.description is None:
        return done(context, text("metadata_nothing", job_id=job_id))
    command = UpdateJobMetadata(
        job_id=job_id,
        display_name=update.display_name,
        description=update.description,
        **context.command_fields(user),
    )
    shown = metadata_shown(context.store, job_id, update.display_name, update.description)
    return await publish_and_answer(
        context, response, wait, command, shown, _job(job_id), "metadata_updated", "what_metadata"
    )


@router.command(
    "POST",
    "/jobs/{job_id}/pause",
    "Stop firing a job on its schedule (admin)",
    Envelope[None],
    errors=(404,),
)
async def pause_job(
    context: Context, user: AdminUser, job_id: JobId, response: Response, wait: Wait = True
) -> Envelope[None]:
    """Stop firing a job on its schedule."""
    await existing_job(context, job_id)
    return await _set_paused(context, user, job_id, response, wait, paused=True)


# A registration reason saying a credential is not configured (the catalogue's own words, e.g.
# "SCHEDULER_TUSHARE_TOKEN is not set: tushare jobs are disabled until a token is configured"): such a job
# cannot run. Other registration reasons (a canary paused by default, a job disabled by settings) can.
MISSING_CREDENTIAL = re.compile(r"\b[A-Z][A-Z0-9_]*_(TOKEN|KEY|SECRET|PASSWORD)\b[^:]*\bnot set\b")


def cannot_run(job: JobRecord) -> bool:
    """Whether the job is paused for want of a credential.

    Paused by its own registration (not by an operator: the registration set the pause last) because a
    credential it needs is missing.
    """
    reason = job.paused_reason or ""
    # An operator's pause ("paused by <actor>", `domain.catalogue_projection`) is kept across registrations.
    registered = job.pause_version == job.registration_version and not reason.startswith("paused by ")
    return job.paused and registered and MISSING_CREDENTIAL.search(reason) is not None


@router.command(
    "POST",
    "/jobs/{job_id}/resume",
    "Fire a paused job on its schedule again (admin)",
    Envelope[None],
    errors=(404, 409),
    description="A job registered disabled because a credential is not configured (its `paused_reason` "
    "says which, e.g. a missing token) is not resumed (409, with the reason) unless `confirm=true`: it "
    "would fail on every run.",
)
async def resume_job(
    context: Context,
    user: AdminUser,
    job_id: JobId,
    response: Response,
    wait: Wait = True,
    confirm: Annotated[
        bool, Query(description="resume even a job that cannot run (its reason was read)")
    ] = False,
) -> Envelope[None]:
    """Fire a paused job on its schedule again; 409 for a job that cannot run, unless confirmed."""
    job = await existing_job(context, job_id)
    if cannot_run(job) and not confirm:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail=text("resume_disabled", job_id=job_id, reason=job.paused_reason),
        )
    return await _set_paused(context, user, job_id, response, wait, paused=False)


async def _set_paused(
    context: ApiContext, user: UserRecord, job_id: str, response: Response, wait: bool, *, paused: bool
) -> Envelope[None]:
    """Publish the pause (or resume) command; answer once the job reads so (or 202 with where to look)."""
    command = (PauseJob if paused else ResumeJob)(job_id=job_id, **context.command_fields(user))
    shown = job_paused(context.store, job_id, paused=paused)
    done_key, what_key = ("paused", "what_pause") if paused else ("resumed", "what_resume")
    return await publish_and_answer(context, response, wait, command, shown, _job(job_id), done_key, what_key)


@router.command(
    "POST",
    "/jobs/{job_id}/trigger",
    "Run a job once now, or once at a given moment, with its own kwargs (admin)",
    Envelope[TriggerResult],
    errors=(*WITH_BODY, 404),
    description="The job itself does not change: a paused job stays paused, the kwargs apply to this run "
    "only. Answers the new `execution_id` once the run is listed (queued, or skipped by the overlap "
    "policy); follow the run with `GET /executions/{id}` or the live stream. With `run_at` (ISO 8601 with "
    "its offset, in the future, at most a year ahead; else 422) the run is listed `scheduled` at once and "
    "starts at that moment; cancelled before, it never starts.",
)
async def trigger_job(
    context: Context,
    user: AdminUser,
    job_id: JobId,
    response: Response,
    wait: Wait = True,
    force: Annotated[bool, Query(description="e.g. skip the trading-time check, for this run only")] = False,
    request: Annotated[TriggerRequest | None, Body()] = None,
) -> Envelope[TriggerResult]:
    """Run a job once, now or at `run_at`, with its own kwargs; answers the new execution's id."""
    job = await existing_job(context, job_id)
    execution_id = uuid.uuid4().hex
    kwargs = checked_kwargs(job, request.kwargs if request is not None and request.kwargs is not None else {})
    run_at = _checked_run_at(request.run_at if request is not None else None)
    command = TriggerJob(
        job_id=job_id,
        execution_id=execution_id,
        kwargs=kwargs,
        force=force,
        run_at=run_at,
        **context.command_fields(user),
    )
    await publish(context, command)
    suffix = text("forced_suffix") if force else ""
    shown_at = iso(run_at, context.zone)
    message = (
        text("triggered", job_id=job_id, suffix=suffix)
        if shown_at is None
        else text("one_off_scheduled", job_id=job_id, run_at=shown_at, suffix=suffix)
    )
    return await answer(
        context,
        response,
        wait=wait,
        applied=execution_shown(context.store, execution_id, lambda _record: True),
        message=message,
        what=text("what_trigger", job_id=job_id, suffix=suffix),
        location=execution_location(execution_id),
        data=TriggerResult(execution_id=execution_id, scheduled_time=shown_at),
    )


def _checked_run_at(run_at: datetime | None) -> datetime | None:
    """A one-off run's moment, or 422: in the past, or more than a year ahead."""
    if run_at is None:
        return None
    shown = run_at.isoformat()
    refusal = one_off_refusal(run_at, utc_now())
    if refusal is not None:
        key = "run_at_past" if run_at <= utc_now() else "run_at_too_far"
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=text(key, run_at=shown))
    return run_at


@router.read(
    "/jobs/{job_id}/execution-stats",
    "Counts per status, mean duration of successes, last execution",
    Envelope[JobExecutionStats],
)
async def execution_stats(context: Context, job_id: JobId) -> Envelope[JobExecutionStats]:
    """A job's counts per status, mean duration of successes and last execution."""
    stats = await context.store.execution_stats(job_id)
    return done(context, text("execution_stats"), stats_out(stats, context.zone))


def _job_location(job_id: str) -> str:
    return f"/api/scheduler/jobs/{quote(job_id, safe='')}"


def _job(job_id: str) -> Subject:
    """A job as a command's texts name it; its effect shows on its page."""
    return Subject({"job_id": job_id}, _job_location(job_id))
