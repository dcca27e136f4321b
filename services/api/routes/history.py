"""The audit log of operator actions (pause, resume, trigger, metadata, cancel, mark-failed, delete)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from infrastructure.store.port import HistoryQuery
from services.api.commands import done
from services.api.dependencies import ApiContext, Context, JobId, JobIdFilter, Offset, current_user
from services.api.errors import READ, responses
from services.api.messages import text
from services.api.schemas import Envelope, HistoryPage
from services.api.views import history_out

router = APIRouter(prefix="/api/scheduler", tags=["history"], dependencies=[Depends(current_user)])

OutcomeFilter = Annotated[
    Literal["success", "failed"] | None, Query(description="only actions with this outcome")
]


async def _page(context: ApiContext, query: HistoryQuery) -> Envelope[HistoryPage]:
    records, total = await context.store.list_history(query)
    page = HistoryPage(
        history=[history_out(record, context.zone) for record in records],
        total=total,
        limit=query.limit,
        offset=query.offset,
    )
    return done(context, text("history_listed", count=total), page)


@router.get(
    "/jobs/{job_id}/history",
    summary="Operator actions on one job, newest first",
    response_model=Envelope[HistoryPage],
    responses=responses(*READ),
)
async def job_history(
    context: Context,
    job_id: JobId,
    limit: Annotated[int, Query(ge=1, le=100, description="page size")] = 20,
    offset: Offset = 0,
) -> Envelope[HistoryPage]:
    """Operator actions on one job, newest first, one page."""
    return await _page(context, HistoryQuery(job_id=job_id, limit=limit, offset=offset))


@router.get(
    "/history",
    summary="Operator actions on all jobs, newest first",
    response_model=Envelope[HistoryPage],
    responses=responses(*READ),
)
async def all_history(
    context: Context,
    limit: Annotated[int, Query(ge=1, le=200, description="page size")] = 50,
    offset: Offset = 0,
    job_id: JobIdFilter = None,
    status: OutcomeFilter = None,
) -> Envelope[HistoryPage]:
    """Operator actions on every job, newest first, filtered by job and outcome, one page."""
    return await _page(context, HistoryQuery(job_id, status, limit, offset))
