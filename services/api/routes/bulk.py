"""Bulk actions on executions (admin).

Delete or mark failed a selection of runs, and a job's retention command; each run gets its own per-run
command (see `services.api.bulk`).
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import HTTPException
from fastapi import Path
from fastapi import Response
from fastapi import status

from domain.records import ExecutionRecord
from infrastructure.store.port import ExecutionQuery
from services.api.bulk import MAX_BULK_RUNS
from services.api.bulk import MAX_RUNNING_OPERATIONS
from services.api.bulk import BulkOperation
from services.api.bulk import SelectionTooLarge
from services.api.bulk import TooManyOperations
from services.api.bulk import applies_to
from services.api.bulk import new_operation_id
from services.api.bulk import runs_by_ids
from services.api.bulk import runs_matching
from services.api.bulk_schemas import OPERATION_ID_PATTERN
from services.api.bulk_schemas import BulkAction
from services.api.bulk_schemas import BulkFilter
from services.api.bulk_schemas import BulkProgress
from services.api.bulk_schemas import BulkRequest
from services.api.bulk_schemas import RetentionRequest
from services.api.commands import done
from services.api.dependencies import AdminUser
from services.api.dependencies import ApiContext
from services.api.dependencies import Context
from services.api.dependencies import JobId
from services.api.errors import WITH_BODY
from services.api.messages import text
from services.api.route_declarations import SchedulerRouter
from services.api.schemas import Envelope
from services.api.time_bounds import utc_bound

router = SchedulerRouter("executions")

OperationIdPath = Annotated[
    str, Path(pattern=OPERATION_ID_PATTERN, description="the bulk operation's id", max_length=64)
]
BULK_DESCRIPTION = (
    "Select runs by id (`execution_ids`, at most 1,000) or as every run matching `filter` (the filters of "
    "`GET /executions`; at most 10,000 runs, more is refused with 422). Each selected run gets the same "
    "command a single click sends (`DeleteExecution` or `MarkExecutionFailed`), so each is audited on its "
    "own. `delete` skips runs still queued or running, `mark_failed` runs already ended; the answer says "
    "how many. Answers 202 at once with the operation's progress (read it at the `Location`); 200 when "
    "`operation_id` names an operation that is done. Each run's "
    "command id is derived from the operation id, and the operation's plan and progress are stored: an API "
    "restart carries it on from where it stopped; re-send the request with `operation_id` to carry on an "
    "operation the broker stopped (`failed`), without doing anything twice."
)


def bulk_location(operation_id: str) -> str:
    """The API path of a bulk operation's progress."""
    return f"/api/scheduler/executions/bulk/{quote(operation_id, safe='')}"


def _query(context: ApiContext, chosen: BulkFilter) -> ExecutionQuery:
    since, until = utc_bound(chosen.since, context.zone), utc_bound(chosen.until, context.zone)
    if since is not None and until is not None and since > until:
        assert chosen.since is not None and chosen.until is not None
        detail = text("range_inverted", since=chosen.since.isoformat(), until=chosen.until.isoformat())
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=detail)
    return ExecutionQuery(
        chosen.job_id, chosen.status, chosen.is_manual, 1, 0, since, until, chosen.time_field
    )


async def _selection(context: ApiContext, request: BulkRequest) -> tuple[list[ExecutionRecord], int]:
    """The selected runs and how many ids named none; 422 over `MAX_BULK_RUNS`."""
    if request.execution_ids is not None:
        return await runs_by_ids(context.store, request.execution_ids)
    assert request.filter is not None
    try:
        return await runs_matching(context.store, _query(context, request.filter)), 0
    except SelectionTooLarge as error:
        detail = text("bulk_too_large", total=error.total, limit=MAX_BULK_RUNS)
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=detail) from None


async def _start(
    context: ApiContext, user: AdminUser, request: BulkRequest, response: Response
) -> Envelope[BulkProgress]:
    """Resolve the selection, start publishing, answer 202 with the progress (or the known operation's)."""
    operation_id = request.operation_id or new_operation_id()
    location = bulk_location(operation_id)
    known = await context.bulk.get(operation_id)
    if known is not None and known.state == "done":
        return _progress_envelope(context, known, location)
    response.status_code = status.HTTP_202_ACCEPTED
    response.headers["Location"] = location
    if known is not None and known.state == "running":
        return _progress_envelope(context, known, location)
    if known is not None:  # stopped (broker down): carried on from where it stopped, the same plan
        await _begin(context.bulk.carry_on(context.bus, context.store, known))
        return _progress_envelope(context, known, location)
    records, missing = await _selection(context, request)
    action: BulkAction = request.action
    targets = [record.execution_id for record in records if applies_to(action, record)]
    operation = BulkOperation(
        operation_id=operation_id,
        action=action,
        actor=user.username,
        producer=context.producer,
        reason=request.reason or text("default_failure_reason"),
        selected=len(records) + missing,
        missing=missing,
        targets=targets,
        skipped=len(records) - len(targets),
        started_at=datetime.now(UTC),
    )
    await _begin(context.bulk.start(context.bus, context.store, operation))
    note = text("bulk_skip_active" if action == "delete" else "bulk_skip_ended")
    message = text(
        "bulk_started",
        operation_id=operation_id,
        selected=operation.selected,
        to_send=len(targets),
        skipped=operation.skipped,
        skip_note=note,
        location=location,
    )
    return done(context, message, operation.progress(context.zone))


async def _begin(starting: Awaitable[None]) -> None:
    """Start (or carry on) an operation; 429 when every slot is taken."""
    try:
        await starting
    except TooManyOperations:
        detail = text("bulk_busy", limit=MAX_RUNNING_OPERATIONS)
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, detail=detail) from None


def _progress_envelope(
    context: ApiContext, operation: BulkOperation, location: str
) -> Envelope[BulkProgress]:
    progress = operation.progress(context.zone)
    message = text(
        "bulk_progress",
        operation_id=operation.operation_id,
        sent=progress.sent,
        to_send=progress.to_send,
        state=progress.state,
    )
    if location not in message:
        message = f"{message}; {location}"
    return done(context, message, progress)


@router.command(
    "POST",
    "/executions/bulk",
    "Delete or mark failed many executions at once (admin)",
    Envelope[BulkProgress],
    errors=(*WITH_BODY, 429),
    description=BULK_DESCRIPTION,
)
async def bulk_executions(
    context: Context, user: AdminUser, request: BulkRequest, response: Response
) -> Envelope[BulkProgress]:
    """Start a bulk operation on the executions a filter selects (202, with where to follow it)."""
    return await _start(context, user, request, response)


@router.read(
    "/executions/bulk/{operation_id}",
    "Where a bulk operation stands",
    Envelope[BulkProgress],
    errors=(404,),
    description="Read from the store (the newest 100 finished operations are kept): any API instance "
    "answers, and an operation an API restart interrupted is carried on by the API that starts next.",
)
async def bulk_progress(context: Context, operation_id: OperationIdPath) -> Envelope[BulkProgress]:
    """Where a bulk operation stands, read from the store; 404 if unknown (or no longer kept)."""
    operation = await context.bulk.get(operation_id)
    if operation is None:
        detail = text("bulk_not_found", operation_id=operation_id)
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=detail)
    return _progress_envelope(context, operation, bulk_location(operation_id))


@router.command(
    "POST",
    "/jobs/{job_id}/executions/retention",
    "Delete a job's finished runs due before a moment (admin)",
    Envelope[BulkProgress],
    errors=(*WITH_BODY, 429),
    description="A bulk `delete` of every run of the job scheduled before `before` (runs still queued or "
    "running are skipped and counted); the same bounds, progress and re-sending as "
    "`POST /executions/bulk`. A job no longer in the catalogue keeps its runs: its id is accepted.",
)
async def job_retention(
    context: Context, user: AdminUser, job_id: JobId, request: RetentionRequest, response: Response
) -> Envelope[BulkProgress]:
    """Delete a job's finished runs due before a moment, as a bulk operation."""
    bulk = BulkRequest(
        action="delete",
        filter=BulkFilter(job_id=job_id, until=request.before, time_field="scheduled"),
        operation_id=request.operation_id,
    )
    return await _start(context, user, bulk, response)
