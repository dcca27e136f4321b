"""Executions: lists, one execution and its event timeline, cancel, mark failed, delete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Annotated
from typing import Literal

from fastapi import Depends
from fastapi import HTTPException
from fastapi import Query
from fastapi import Response
from fastapi import status

from contracts.commands import CancelExecution
from contracts.commands import DeleteExecution
from contracts.commands import MarkExecutionFailed
from contracts.events import TERMINAL_STATUSES
from infrastructure.store.port import EventQuery
from infrastructure.store.port import ExecutionQuery
from infrastructure.store.port import TimeField
from services.api.commands import Wait
from services.api.commands import done
from services.api.commands import execution_location
from services.api.commands import execution_not_found
from services.api.commands import existing_execution
from services.api.dependencies import AdminUser
from services.api.dependencies import ApiContext
from services.api.dependencies import Context
from services.api.dependencies import ExecutionId
from services.api.dependencies import JobId
from services.api.dependencies import JobIdFilter
from services.api.dependencies import Offset
from services.api.dependencies import PageSize
from services.api.execution_summary import execution_summary
from services.api.listing import Listing
from services.api.messages import text
from services.api.publish_and_answer import Subject
from services.api.publish_and_answer import publish_and_answer
from services.api.read_your_writes import execution_gone
from services.api.read_your_writes import execution_shown
from services.api.route_declarations import SchedulerRouter
from services.api.schemas import NO_CONTROL_CHARACTERS
from services.api.schemas import Envelope
from services.api.schemas import EventOut
from services.api.schemas import EventPage
from services.api.schemas import ExecutionPage
from services.api.schemas import ExecutionSummary
from services.api.schemas import JobExecution
from services.api.schemas import StatusInfo
from services.api.statuses import STATUSES
from services.api.time_bounds import QueryDateTime
from services.api.time_bounds import utc_bound
from services.api.views import event_out
from services.api.views import execution_out

router = SchedulerRouter("executions")

StatusFilter = Annotated[
    Literal[
        "scheduled",
        "queued",
        "running",
        "success",
        "partial",
        "failed",
        "missed",
        "cancelled",
        "skipped",
        "waiting",
    ]
    | None,
    Query(description="only executions in this status"),
]
ManualFilter = Annotated[bool | None, Query(description="true: manual triggers only; false: scheduled only")]


@dataclass(frozen=True)
class ExecutionFilters:
    """The filters both execution lists share (a dependency: declared once, documented on each)."""

    status: StatusFilter = None
    is_manual: ManualFilter = None
    since: Annotated[
        QueryDateTime | None, Query(description="at or after this moment (ISO 8601, on `time_field`)")
    ] = None
    until: Annotated[QueryDateTime | None, Query(description="before this moment (ISO 8601)")] = None
    time_field: Annotated[
        TimeField, Query(description="the moment `since`/`until` apply to: scheduled or started")
    ] = "scheduled"


IN_PROGRESS = frozenset({"scheduled", "queued", "running", "waiting"})
EXECUTIONS_LOCATION = "/api/scheduler/executions"


EXECUTIONS = Listing(ExecutionPage, "items", execution_out, "executions_listed")


async def _page(context: ApiContext, query: ExecutionQuery) -> Envelope[ExecutionPage]:
    return EXECUTIONS.answer(context, await context.store.list_executions(query), query.limit, query.offset)


def _query(
    context: ApiContext,
    job_id: str | None,
    filters: ExecutionFilters,
    limit: int,
    offset: int,
) -> ExecutionQuery:
    """The store's query; 422 naming the problem when `since` is after `until`."""
    since, until = utc_bound(filters.since, context.zone), utc_bound(filters.until, context.zone)
    if since is not None and until is not None and since > until:
        shown_since, shown_until = filters.since, filters.until
        assert shown_since is not None and shown_until is not None
        detail = text("range_inverted", since=shown_since.isoformat(), until=shown_until.isoformat())
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=detail)
    return ExecutionQuery(
        job_id, filters.status, filters.is_manual, limit, offset, since, until, filters.time_field
    )


@router.read(
    "/executions",
    "Executions, newest first, with filters",
    Envelope[ExecutionPage],
    description="Filters combine; `total` counts every execution matching them. `since` (inclusive) and "
    "`until` (exclusive) apply to `time_field`: `scheduled` (when the run was due; a manual run is due "
    "when it was asked for) or `started` (when a worker started it; runs never started do not match). "
    "A bound without an offset is read in the display timezone. An offset beyond the end gives an empty "
    "page with the total.",
)
async def list_executions(
    context: Context,
    filters: Annotated[ExecutionFilters, Depends()],
    job_id: JobIdFilter = None,
    limit: PageSize = 50,
    offset: Offset = 0,
) -> Envelope[ExecutionPage]:
    """Executions newest first, with filters, one page."""
    return await _page(context, _query(context, job_id, filters, limit, offset))


@router.read(
    "/execution-summary",
    "The overview's statistics in one answer",
    Envelope[ExecutionSummary],
    description="Executions per status for each of the last 24 hours and each of the last 14 days "
    "(display timezone; the current hour and day included), duration percentiles per job over the 14 "
    "days, the newest execution of every job and the counts queued and running: aggregated by the "
    "store, whatever the number of executions.",
)
async def get_execution_summary(context: Context) -> Envelope[ExecutionSummary]:
    """The overview's statistics: outcomes per hour and per day, durations, last runs."""
    summary = await execution_summary(context.store, context.zone, datetime.now(UTC))
    return done(context, text("execution_summary"), summary)


@router.read(
    "/jobs/{job_id}/executions",
    "Executions of one job, newest first",
    Envelope[ExecutionPage],
    description="A job no longer in the catalogue keeps its executions: an unknown id gives an empty page.",
)
async def list_job_executions(
    context: Context,
    job_id: JobId,
    filters: Annotated[ExecutionFilters, Depends()],
    limit: PageSize = 50,
    offset: Offset = 0,
) -> Envelope[ExecutionPage]:
    """Executions of one job, newest first, with filters, one page."""
    return await _page(context, _query(context, job_id, filters, limit, offset))


@router.read("/executions/{execution_id}", "One execution", Envelope[JobExecution], errors=(404,))
async def get_execution(context: Context, execution_id: ExecutionId) -> Envelope[JobExecution]:
    """One execution; 404 if there is none."""
    record = await existing_execution(context, execution_id)
    return done(context, text("execution_detail"), execution_out(record, context.zone))


@router.read(
    "/executions/{execution_id}/events",
    "The event timeline of one execution (audit), oldest first",
    Envelope[EventPage],
    errors=(404,),
    description="Deleted executions keep their events: 404 only when nothing at all is known of the id.",
)
async def execution_events(
    context: Context,
    execution_id: ExecutionId,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    offset: Offset = 0,
) -> Envelope[EventPage]:
    """The events of one execution, oldest first; 404 if there is no such execution."""
    query = EventQuery(execution_id=execution_id, limit=limit, offset=offset)
    documents, total = await context.store.list_events(query)
    if total == 0 and await context.store.get_execution(execution_id) is None:
        raise execution_not_found(execution_id)
    items = [EventOut.model_validate(event_out(document, context.zone)) for document in documents]
    page = EventPage(items=items, total=total, limit=limit, offset=offset)
    return done(context, text("events_listed", count=total), page)


@router.command(
    "POST",
    "/executions/{execution_id}/cancel",
    "Stop a scheduled, waiting, queued or running execution (admin)",
    Envelope[None],
    errors=(400, 404),
    description="A scheduled (one-off), waiting or queued run never starts: it ends `cancelled` at once. "
    "A running one is asked to stop (`cancel_requested`) and ends `cancelled` at the job's next check point.",
)
async def cancel_execution(
    context: Context, user: AdminUser, execution_id: ExecutionId, response: Response, wait: Wait = True
) -> Envelope[None]:
    """Ask the scheduler to stop an execution in progress; 400 if it has ended."""
    execution = await existing_execution(context, execution_id)
    if execution.status not in IN_PROGRESS:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, detail=text("cancel_not_in_progress", status=execution.status)
        )
    command = CancelExecution(execution_id=execution_id, **context.command_fields(user))
    shown = execution_shown(
        context.store, execution_id, lambda record: record.cancel_requested or _ended(record.status)
    )
    envelope = await publish_and_answer(
        context, response, wait, command, shown, _execution(execution_id), "cancelled", "what_cancel"
    )
    if response.status_code != status.HTTP_202_ACCEPTED:
        record = await context.store.get_execution(execution_id)
        if record is not None and not _ended(record.status):
            envelope.message = text("cancel_requested", execution_id=execution_id)
    return envelope


@router.command(
    "POST",
    "/executions/{execution_id}/mark-failed",
    "Declare a queued or running execution failed by hand (admin)",
    Envelope[None],
    errors=(400, 404),
)
async def mark_failed(
    context: Context,
    user: AdminUser,
    execution_id: ExecutionId,
    response: Response,
    reason: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=500,
            pattern=NO_CONTROL_CHARACTERS,
            description="why; shown as the error message (default: marked failed by hand, in the "
            "caller's language)",
        ),
    ] = None,
    wait: Wait = True,
) -> Envelope[None]:
    """Declare an execution in progress failed by hand, with a reason; 400 if it has ended."""
    execution = await existing_execution(context, execution_id)
    if execution.status in TERMINAL_STATUSES:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, detail=text("mark_failed_ended", status=execution.status)
        )
    command = MarkExecutionFailed(
        execution_id=execution_id,
        reason=reason or text("default_failure_reason"),
        **context.command_fields(user),
    )
    shown = execution_shown(context.store, execution_id, lambda record: _ended(record.status))
    subject = _execution(execution_id)
    return await publish_and_answer(
        context, response, wait, command, shown, subject, "marked_failed", "what_mark_failed"
    )


@router.command(
    "DELETE",
    "/executions/{execution_id}",
    "Remove a finished execution from the read models (admin)",
    Envelope[None],
    errors=(404, 409),
    description="Refused (409) while the execution is queued or running. The event store keeps its events.",
)
async def delete_execution(
    context: Context, user: AdminUser, execution_id: ExecutionId, response: Response, wait: Wait = True
) -> Envelope[None]:
    """Remove a finished execution from the read models; 409 while it is in progress."""
    execution = await existing_execution(context, execution_id)
    if execution.status in IN_PROGRESS:
        raise HTTPException(
            status.HTTP_409_CONFLICT, detail=text("delete_in_progress", status=execution.status)
        )
    command = DeleteExecution(execution_id=execution_id, **context.command_fields(user))
    gone = execution_gone(context.store, execution_id)
    subject = _execution(execution_id, EXECUTIONS_LOCATION)  # gone, it has no page: the list is where to look
    return await publish_and_answer(context, response, wait, command, gone, subject, "deleted", "what_delete")


@router.read(
    "/statuses",
    "The execution statuses, their labels and the original status each maps to",
    Envelope[list[StatusInfo]],
    description="`original`: what a client that knows only running, success, failed and missed should "
    "show; labels in the caller's language (`Accept-Language`).",
)
async def list_statuses(context: Context) -> Envelope[list[StatusInfo]]:
    """The execution statuses, their labels in the caller's language, and the original status of each."""
    items = [
        StatusInfo(status=entry.status, label=entry.label(), original=entry.original, final=entry.final)
        for entry in STATUSES
    ]
    return done(context, text("statuses_listed", count=len(items)), items)


def _ended(execution_status: str) -> bool:
    return execution_status in TERMINAL_STATUSES


def _execution(execution_id: str, location: str | None = None) -> Subject:
    """An execution as a command's texts name it; its effect shows on its page unless `location` says."""
    return Subject({"execution_id": execution_id}, location or execution_location(execution_id))
