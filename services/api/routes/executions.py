"""Executions: lists, one execution and its event timeline, cancel, mark failed, delete."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status

from contracts.commands import CancelExecution, DeleteExecution, MarkExecutionFailed
from contracts.events import TERMINAL_STATUSES
from infrastructure.store.port import EventQuery, ExecutionQuery
from services.api.commands import accepted, existing_execution, publish
from services.api.dependencies import (
    AdminUser,
    ApiContext,
    Context,
    ExecutionId,
    JobId,
    JobIdFilter,
    Offset,
    current_user,
)
from services.api.errors import ADMIN, READ, responses
from services.api.schemas import (
    NO_CONTROL_CHARACTERS,
    Envelope,
    EventOut,
    EventPage,
    ExecutionPage,
    JobExecution,
)
from services.api.views import event_out, execution_out, now_iso

router = APIRouter(prefix="/api/scheduler", tags=["executions"], dependencies=[Depends(current_user)])

StatusFilter = Annotated[
    Literal["queued", "running", "success", "failed", "missed", "cancelled", "skipped"] | None,
    Query(description="only executions in this status"),
]
ManualFilter = Annotated[bool | None, Query(description="true: manual triggers only; false: scheduled only")]
ExecutionLimit = Annotated[int, Query(ge=1, le=200, description="page size")]
IN_PROGRESS = frozenset({"queued", "running"})
DEFAULT_FAILURE_REASON = "用户手动标记为失败"


async def _page(context: ApiContext, query: ExecutionQuery) -> Envelope[ExecutionPage]:
    records, total = await context.store.list_executions(query)
    page = ExecutionPage(
        items=[execution_out(record, context.zone) for record in records],
        total=total,
        limit=query.limit,
        offset=query.offset,
    )
    return Envelope(data=page, message=f"获取到 {total} 条执行记录", timestamp=now_iso(context.zone))


@router.get(
    "/executions",
    summary="Executions, newest first, with filters",
    response_model=Envelope[ExecutionPage],
    responses=responses(*READ),
)
async def list_executions(
    context: Context,
    job_id: JobIdFilter = None,
    status: StatusFilter = None,
    is_manual: ManualFilter = None,
    limit: ExecutionLimit = 50,
    offset: Offset = 0,
) -> Envelope[ExecutionPage]:
    query = ExecutionQuery(job_id, status, is_manual, limit, offset)
    return await _page(context, query)


@router.get(
    "/jobs/{job_id}/executions",
    summary="Executions of one job, newest first",
    description="A job no longer in the catalogue keeps its executions: an unknown id gives an empty page.",
    response_model=Envelope[ExecutionPage],
    responses=responses(*READ),
)
async def list_job_executions(
    context: Context,
    job_id: JobId,
    status: StatusFilter = None,
    is_manual: ManualFilter = None,
    limit: ExecutionLimit = 50,
    offset: Offset = 0,
) -> Envelope[ExecutionPage]:
    return await _page(context, ExecutionQuery(job_id, status, is_manual, limit, offset))


@router.get(
    "/executions/{execution_id}",
    summary="One execution",
    response_model=Envelope[JobExecution],
    responses=responses(*READ, 404),
)
async def get_execution(context: Context, execution_id: ExecutionId) -> Envelope[JobExecution]:
    record = await existing_execution(context, execution_id)
    return Envelope(
        data=execution_out(record, context.zone), message="获取执行记录成功", timestamp=now_iso(context.zone)
    )


@router.get(
    "/executions/{execution_id}/events",
    summary="The event timeline of one execution (audit), oldest first",
    description="Deleted executions keep their events: 404 only when nothing at all is known of the id.",
    response_model=Envelope[EventPage],
    responses=responses(*READ, 404),
)
async def execution_events(
    context: Context,
    execution_id: ExecutionId,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    offset: Offset = 0,
) -> Envelope[EventPage]:
    query = EventQuery(execution_id=execution_id, limit=limit, offset=offset)
    documents, total = await context.store.list_events(query)
    if total == 0 and await context.store.get_execution(execution_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"执行记录 {execution_id} 不存在")
    items = [EventOut.model_validate(event_out(document, context.zone)) for document in documents]
    page = EventPage(items=items, total=total, limit=limit, offset=offset)
    return Envelope(data=page, message=f"获取到 {total} 个事件", timestamp=now_iso(context.zone))


@router.post(
    "/executions/{execution_id}/cancel",
    summary="Stop a queued or running execution (admin)",
    response_model=Envelope[None],
    responses=responses(*ADMIN, 400, 404),
)
async def cancel_execution(context: Context, user: AdminUser, execution_id: ExecutionId) -> Envelope[None]:
    execution = await existing_execution(context, execution_id)
    if execution.status not in IN_PROGRESS:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail=f"只能取消排队中或运行中的执行（当前状态: {execution.status}）",
        )
    command = CancelExecution(execution_id=execution_id, **context.command_fields(user))
    await publish(context, command)
    return accepted(context, f"执行 {execution_id} 的取消请求已提交")


@router.post(
    "/executions/{execution_id}/mark-failed",
    summary="Declare a queued or running execution failed by hand (admin)",
    response_model=Envelope[None],
    responses=responses(*ADMIN, 400, 404),
)
async def mark_failed(
    context: Context,
    user: AdminUser,
    execution_id: ExecutionId,
    reason: Annotated[
        str,
        Query(
            min_length=1,
            max_length=500,
            pattern=NO_CONTROL_CHARACTERS,
            description="why; shown as the error message",
        ),
    ] = DEFAULT_FAILURE_REASON,
) -> Envelope[None]:
    execution = await existing_execution(context, execution_id)
    if execution.status in TERMINAL_STATUSES:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST,
            detail=f"执行已结束（状态: {execution.status}），无需标记失败",
        )
    command = MarkExecutionFailed(execution_id=execution_id, reason=reason, **context.command_fields(user))
    await publish(context, command)
    return accepted(context, f"执行 {execution_id} 已提交标记为失败")


@router.delete(
    "/executions/{execution_id}",
    summary="Remove a finished execution from the read models (admin)",
    description="Refused (409) while the execution is queued or running. The event store keeps its events.",
    response_model=Envelope[None],
    responses=responses(*ADMIN, 404, 409),
)
async def delete_execution(context: Context, user: AdminUser, execution_id: ExecutionId) -> Envelope[None]:
    execution = await existing_execution(context, execution_id)
    if execution.status in IN_PROGRESS:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail=f"执行正在进行中（状态: {execution.status}），请先取消或标记失败后再删除",
        )
    command = DeleteExecution(execution_id=execution_id, **context.command_fields(user))
    await publish(context, command)
    return accepted(context, f"执行 {execution_id} 的删除请求已提交")
