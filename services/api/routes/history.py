"""The audit log of operator actions (pause, resume, trigger, metadata, cancel, mark-failed, delete)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from typing import Literal

from fastapi import Depends
from fastapi import Query

from infrastructure.store.port import HistoryQuery
from services.api.dependencies import ApiContext
from services.api.dependencies import Context
from services.api.dependencies import JobId
from services.api.dependencies import Offset
from services.api.listing import Listing
from services.api.paging import JobsPage
from services.api.route_declarations import SchedulerRouter
from services.api.schemas import Envelope
from services.api.schemas import HistoryPage
from services.api.views import history_out

router = SchedulerRouter("history")

OutcomeFilter = Annotated[
    Literal["success", "failed"] | None, Query(description="only actions with this outcome")
]


@dataclass(frozen=True)
class HistoryFilters(JobsPage):
    """The page of the history of all jobs, with its filters."""

    status: OutcomeFilter = None


HISTORY = Listing(HistoryPage, "history", history_out, "history_listed")


async def _page(context: ApiContext, query: HistoryQuery) -> Envelope[HistoryPage]:
    return HISTORY.answer(context, await context.store.list_history(query), query.limit, query.offset)


@router.read("/jobs/{job_id}/history", "Operator actions on one job, newest first", Envelope[HistoryPage])
async def job_history(
    context: Context,
    job_id: JobId,
    limit: Annotated[int, Query(ge=1, le=100, description="page size")] = 20,
    offset: Offset = 0,
) -> Envelope[HistoryPage]:
    """Operator actions on one job, newest first, one page."""
    return await _page(context, HistoryQuery(job_id=job_id, limit=limit, offset=offset))


@router.read("/history", "Operator actions on all jobs, newest first", Envelope[HistoryPage])
async def all_history(context: Context, page: Annotated[HistoryFilters, Depends()]) -> Envelope[HistoryPage]:
    """Operator actions on every job, newest first, filtered by job and outcome, one page."""
    return await _page(context, HistoryQuery(page.job_id, page.status, page.limit, page.offset))
