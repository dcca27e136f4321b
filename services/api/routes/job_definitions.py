"""Jobs as data (admin): create, change, delete and reset jobs at run time; a job's definition.

Each route checks the input as the scheduler will (it checks again), sends one command and answers once
the jobs read model shows the new version (or 202 with where to look). `If-Match` carries the version a
change is based on: a job changed since answers 412.
"""

from __future__ import annotations

from typing import Annotated
from typing import Any
from urllib.parse import quote

from fastapi import Header
from fastapi import HTTPException
from fastapi import Query
from fastapi import Response
from fastapi import status

from contracts.commands import ChangeJob
from contracts.commands import CreateJob
from contracts.commands import DeleteJob
from contracts.commands import JobPolicy
from contracts.commands import ResetJob
from domain.records import JobRecord
from infrastructure.store.port import ExecutionQuery
from services.api.commands import Wait
from services.api.commands import answer
from services.api.commands import done
from services.api.commands import job_not_found
from services.api.commands import publish
from services.api.dependencies import AdminUser
from services.api.dependencies import ApiContext
from services.api.dependencies import Context
from services.api.dependencies import JobId
from services.api.errors import WITH_BODY
from services.api.job_definition_schemas import JobChangeRequest
from services.api.job_definition_schemas import JobCreateRequest
from services.api.job_definition_schemas import JobDefinitionOut
from services.api.job_definitions import check_dependencies
from services.api.job_definitions import checked
from services.api.job_definitions import definition_fields
from services.api.job_definitions import definition_out
from services.api.job_definitions import etag
from services.api.job_definitions import job_version_shown
from services.api.job_definitions import live
from services.api.job_definitions import matches
from services.api.job_definitions import refuse_deletion
from services.api.messages import text
from services.api.route_declarations import SchedulerRouter
from services.api.schemas import Envelope

router = SchedulerRouter("jobs")

IfMatch = Annotated[
    str | None, Header(max_length=200, description="the job's version (its `ETag`) the change is based on")
]
DefinitionAnswer = Envelope[JobDefinitionOut | None]  # None: accepted, the job not listed yet (202)


@router.read(
    "/jobs/{job_id}/definition",
    "A job's definition as data, with its version (`ETag`)",
    DefinitionAnswer,
    errors=(404,),
)
async def get_definition(context: Context, job_id: JobId, response: Response) -> DefinitionAnswer:
    """A job's definition as data; its version is the `ETag`."""
    job = await _existing(context, job_id)
    response.headers["ETag"] = etag(job)
    return _shown(context, job, text("job_definition", job_id=job_id, version=job.job_version))


@router.command(
    "POST",
    "/jobs",
    "Create a job of a kind (admin)",
    DefinitionAnswer,
    errors=(*WITH_BODY, 409),
    description="Answers 201 with the job once it is listed; the same body sent again answers 200 with the "
    "job (one job is made), another body for an existing id 409. Refused with the reason: an unknown kind, "
    "an id not matching `^[a-z][a-z0-9_]{2,63}$`, a trigger that does not parse, never fires or fires more "
    "often than the floor, kwargs the kind does not accept, more jobs than the cap.",
    status_code=status.HTTP_201_CREATED,
    more_answers={
        200: {"model": DefinitionAnswer, "description": "the job exists with this very definition"}
    },
)
async def create_job(
    context: Context, user: AdminUser, request: JobCreateRequest, response: Response, wait: Wait = True
) -> DefinitionAnswer:
    """Create a job of a kind, with its trigger, kwargs and policy; 409 if the id has another job."""
    command = CreateJob(
        job_id=request.id,
        job_kind=request.kind,
        trigger=request.trigger,
        kwargs=request.kwargs or {},
        display_name=request.display_name,
        description=request.description,
        paused=request.paused,
        policy=request.policy or JobPolicy(),
        **context.command_fields(user),
    )
    wanted = checked(command, context.settings.trigger_min_interval_s)
    known = await context.store.get_job(request.id)
    existing = live(known)
    if existing is not None:
        if existing.job_kind == request.kind and definition_fields(existing) == wanted:
            response.status_code = status.HTTP_200_OK
            return _shown(context, existing, text("job_exists_same", job_id=request.id))
        raise HTTPException(status.HTTP_409_CONFLICT, detail=text("job_exists_other", job_id=request.id))
    jobs = [view for view in await context.store.list_jobs() if not view.job.deleted]
    check_dependencies((view.job for view in jobs), request.id, wanted)
    if len(jobs) >= context.settings.max_jobs:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=text("too_many_jobs", count=len(jobs)))
    version = (known.job_version if known is not None else 0) + 1
    await publish(context, command)
    return await _answer(context, response, wait, request.id, version, "job_created", "what_create")


@router.command(
    "PATCH",
    "/jobs/{job_id}",
    "Change a job: trigger, kwargs, metadata, paused, policy (admin)",
    DefinitionAnswer,
    errors=(*WITH_BODY, 404, 409, 412),
    description="Any field but `id` and `kind`; a field left out keeps its value. Send the job's version "
    "(`ETag` of the definition) in `If-Match`: a job changed since answers 412. The next fire follows the "
    "new definition, computed from now (the past is never fired under a new trigger); a run in flight "
    "finishes under the definition it started with.",
)
async def change_job(
    context: Context,
    user: AdminUser,
    job_id: JobId,
    request: JobChangeRequest,
    response: Response,
    if_match: IfMatch = None,
    wait: Wait = True,
) -> DefinitionAnswer:
    """Change a job's definition; 412 if `If-Match` names another version."""
    job = await _existing(context, job_id)
    _refuse_stale(if_match, job)
    command = ChangeJob(
        job_id=job_id,
        expected_version=job.job_version,
        **request.model_dump(exclude_none=True),
        **context.command_fields(user),
    )
    current = definition_fields(job)
    given = request.model_dump(exclude_none=True)
    policy = given.pop("policy", None)
    wanted = current | given | {"policy": {**(current.get("policy") or {}), **(policy or {})}}
    fields = checked(_as_create(job, wanted, command), context.settings.trigger_min_interval_s)
    if fields.get("trigger") != current.get("trigger") or fields.get("policy") != current.get("policy"):
        views = await context.store.list_jobs()
        check_dependencies((view.job for view in views), job_id, fields)
    if wanted == current:
        response.headers["ETag"] = etag(job)
        return _shown(context, job, text("job_unchanged", job_id=job_id))
    await publish(context, command)
    version = job.job_version + 1
    return await _answer(context, response, wait, job_id, version, "job_changed", "what_change")


@router.command(
    "DELETE",
    "/jobs/{job_id}",
    "Delete a job created at run time (admin)",
    DefinitionAnswer,
    errors=(404, 409),
    description="409 while a run is active, unless `cancel_running=true`; a catalogue job cannot be deleted "
    "(409: pause it instead). The job's executions and history stay readable.",
)
async def delete_job(
    context: Context,
    user: AdminUser,
    job_id: JobId,
    response: Response,
    cancel_running: Annotated[bool, Query(description="cancel the job's runs in flight")] = False,
    wait: Wait = True,
) -> DefinitionAnswer:
    """Delete a job created at run time; 409 for a catalogue job or one with runs in flight."""
    job = await _existing(context, job_id)
    if job.origin != "created":
        raise HTTPException(status.HTTP_409_CONFLICT, detail=text("catalogue_not_deletable", job_id=job_id))
    refuse_deletion((view.job for view in await context.store.list_jobs()), job_id)
    active = await _active_runs(context, job_id)
    if active and not cancel_running:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=text("job_running", job_id=job_id, count=active))
    await publish(
        context, DeleteJob(job_id=job_id, cancel_running=cancel_running, **context.command_fields(user))
    )
    version = job.job_version + 1
    return await _answer(
        context, response, wait, job_id, version, "job_deleted", "what_delete_job", deleted=True
    )


@router.command(
    "POST",
    "/jobs/{job_id}/reset",
    "Restore a catalogue job's defaults (admin)",
    DefinitionAnswer,
    errors=(404, 409, 412),
    description="The catalogue's trigger, kwargs and policy, as the settings set them; 409 for a job created "
    "at run time.",
)
async def reset_job(
    context: Context,
    user: AdminUser,
    job_id: JobId,
    response: Response,
    if_match: IfMatch = None,
    wait: Wait = True,
) -> DefinitionAnswer:
    """Restore a catalogue job's defaults; 409 for a job created at run time."""
    job = await _existing(context, job_id)
    if job.origin != "catalogue":
        raise HTTPException(status.HTTP_409_CONFLICT, detail=text("not_catalogue", job_id=job_id))
    _refuse_stale(if_match, job)
    await publish(
        context, ResetJob(job_id=job_id, expected_version=job.job_version, **context.command_fields(user))
    )
    return await _answer(context, response, wait, job_id, job.job_version + 1, "job_reset", "what_reset")


async def _existing(context: ApiContext, job_id: str) -> JobRecord:
    job = live(await context.store.get_job(job_id))
    if job is None:
        raise job_not_found(job_id)
    return job


def _refuse_stale(if_match: str | None, job: JobRecord) -> None:
    """412 when `If-Match` names another version than the job's current one."""
    if not matches(if_match, job):
        raise HTTPException(
            status.HTTP_412_PRECONDITION_FAILED,
            detail=text("job_stale", job_id=job.job_id, version=job.job_version),
        )


def _as_create(job: JobRecord, wanted: dict[str, Any], command: ChangeJob) -> CreateJob:
    """The changed definition as a create, to check it with the same checks."""
    return CreateJob.model_validate(
        {
            "producer": command.producer,
            "actor": command.actor,
            "job_id": job.job_id,
            "job_kind": job.job_kind,
            "trigger": wanted.get("trigger") or "",
            "kwargs": wanted.get("kwargs") or {},
            "policy": {
                key: value for key, value in dict(wanted.get("policy") or {}).items() if value is not None
            },
        }
    )


async def _active_runs(context: ApiContext, job_id: str) -> int:
    total = 0
    for state in ("queued", "running"):
        _page, count = await context.store.list_executions(
            ExecutionQuery(job_id=job_id, status=state, limit=1)
        )
        total += count
    return total


def _shown(context: ApiContext, job: JobRecord, message: str) -> DefinitionAnswer:
    return done(context, message, definition_out(job, context.zone))


async def _answer(
    context: ApiContext,
    response: Response,
    wait: bool,
    job_id: str,
    version: int,
    message_key: str,
    what_key: str,
    *,
    deleted: bool = False,
) -> DefinitionAnswer:
    """Once the read model shows `version`: the job as it is then, with its `ETag`; else 202."""
    location = f"/api/scheduler/jobs/{quote(job_id, safe='')}/definition"
    answered: DefinitionAnswer = await answer(
        context,
        response,
        wait=wait,
        applied=job_version_shown(context.store, job_id, version, deleted=deleted),
        message=text(message_key, job_id=job_id, version=version),
        what=text(what_key, job_id=job_id),
        location=location,
        data=_no_definition(),
    )
    job = await context.store.get_job(job_id)
    if response.status_code == status.HTTP_202_ACCEPTED or job is None:
        return answered  # the job as it was would mislead: the client looks at `Location`
    response.headers["ETag"] = etag(job)
    return Envelope(
        data=definition_out(job, context.zone), message=answered.message, timestamp=answered.timestamp
    )


def _no_definition() -> JobDefinitionOut | None:
    """No definition yet (an answer accepted, not applied, has none)."""
    return None
