"""Jobs of the catalogue: list, detail, metadata, pause, resume, manual trigger, execution stats."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query

from contracts.commands import PauseJob, ResumeJob, TriggerJob, UpdateJobMetadata
from services.api.commands import accepted, existing_job, job_not_found, publish
from services.api.dependencies import AdminUser, Context, JobId, current_user
from services.api.errors import ADMIN, READ, WITH_BODY, responses
from services.api.parameters import checked_kwargs
from services.api.schemas import (
    Envelope,
    Job,
    JobDetail,
    JobExecutionStats,
    MetadataUpdate,
    TriggerRequest,
    TriggerResult,
)
from services.api.views import job_detail_out, job_out, now_iso, stats_out

router = APIRouter(prefix="/api/scheduler", tags=["jobs"], dependencies=[Depends(current_user)])


@router.get("/jobs", summary="List the jobs", response_model=Envelope[list[Job]], responses=responses(*READ))
async def list_jobs(context: Context) -> Envelope[list[Job]]:
    jobs = [job_out(view, context.zone) for view in await context.store.list_jobs()]
    return Envelope(data=jobs, message=f"获取到 {len(jobs)} 个定时任务", timestamp=now_iso(context.zone))


@router.get(
    "/jobs/{job_id}",
    summary="One job with its details",
    response_model=Envelope[JobDetail],
    responses=responses(*READ, 404),
)
async def get_job(context: Context, job_id: JobId) -> Envelope[JobDetail]:
    view = await context.store.get_job_view(job_id)
    if view is None:
        raise job_not_found(job_id)
    return Envelope(
        data=job_detail_out(view, context.zone), message="获取任务详情成功", timestamp=now_iso(context.zone)
    )


@router.put(
    "/jobs/{job_id}/metadata",
    summary="Change a job's display name and/or description (admin)",
    description="A field left out (or null) keeps its value; with neither field nothing is sent.",
    response_model=Envelope[None],
    responses=responses(*ADMIN, *WITH_BODY, 404),
)
async def update_metadata(
    context: Context, user: AdminUser, job_id: JobId, update: MetadataUpdate
) -> Envelope[None]:
    await existing_job(context, job_id)
    if update.display_name is None and update.description is None:
        return accepted(context, f"任务 {job_id} 的元数据没有需要更新的字段")
    command = UpdateJobMetadata(
        job_id=job_id,
        display_name=update.display_name,
        description=update.description,
        **context.command_fields(user),
    )
    await publish(context, command)
    return accepted(context, f"任务 {job_id} 的元数据更新已提交")


@router.post(
    "/jobs/{job_id}/pause",
    summary="Stop firing a job on its schedule (admin)",
    response_model=Envelope[None],
    responses=responses(*ADMIN, 404),
)
async def pause_job(context: Context, user: AdminUser, job_id: JobId) -> Envelope[None]:
    await existing_job(context, job_id)
    await publish(context, PauseJob(job_id=job_id, **context.command_fields(user)))
    return accepted(context, f"任务 {job_id} 的暂停指令已提交")


@router.post(
    "/jobs/{job_id}/resume",
    summary="Fire a paused job on its schedule again (admin)",
    response_model=Envelope[None],
    responses=responses(*ADMIN, 404),
)
async def resume_job(context: Context, user: AdminUser, job_id: JobId) -> Envelope[None]:
    await existing_job(context, job_id)
    await publish(context, ResumeJob(job_id=job_id, **context.command_fields(user)))
    return accepted(context, f"任务 {job_id} 的恢复指令已提交")


@router.post(
    "/jobs/{job_id}/trigger",
    summary="Run a job once now, with its own kwargs (admin)",
    description="The job itself does not change: a paused job stays paused, the kwargs apply to this run "
    "only. Answers the new `execution_id` at once; follow the run with `GET /executions/{id}` or the "
    "live stream.",
    response_model=Envelope[TriggerResult],
    responses=responses(*ADMIN, *WITH_BODY, 404),
)
async def trigger_job(
    context: Context,
    user: AdminUser,
    job_id: JobId,
    force: Annotated[bool, Query(description="e.g. skip the trading-time check, for this run only")] = False,
    request: Annotated[TriggerRequest | None, Body()] = None,
) -> Envelope[TriggerResult]:
    job = await existing_job(context, job_id)
    execution_id = uuid.uuid4().hex
    kwargs = checked_kwargs(job, request.kwargs if request is not None and request.kwargs is not None else {})
    command = TriggerJob(
        job_id=job_id,
        execution_id=execution_id,
        kwargs=kwargs,
        force=force,
        **context.command_fields(user),
    )
    await publish(context, command)
    suffix = "（强制执行）" if force else ""
    return Envelope(
        data=TriggerResult(execution_id=execution_id),
        message=f"任务 {job_id} 已提交手动执行{suffix}",
        timestamp=now_iso(context.zone),
    )


@router.get(
    "/jobs/{job_id}/execution-stats",
    summary="Counts per status, mean duration of successes, last execution",
    response_model=Envelope[JobExecutionStats],
    responses=responses(*READ),
)
async def execution_stats(context: Context, job_id: JobId) -> Envelope[JobExecutionStats]:
    stats = await context.store.execution_stats(job_id)
    return Envelope(
        data=stats_out(stats, context.zone), message="获取执行统计成功", timestamp=now_iso(context.zone)
    )
