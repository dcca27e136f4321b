"""Backfills (admin to ask and cancel): one run of a job per trading day of a past range.

`POST /jobs/{job_id}/backfill` checks the request (each refusal a 422 naming its field), sends
`RequestBackfill` and answers 201 once the backfill is listed; the same request sent again (same body and
`Idempotency-Key`, or the same body while the first is still active) answers 200 with the one backfill.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends
from fastapi import Header
from fastapi import HTTPException
from fastapi import Path
from fastapi import Query
from fastapi import Response
from fastapi import status

from contracts.commands import CancelBackfill
from contracts.commands import RequestBackfill
from domain.records import BackfillRecord
from infrastructure.store.port import BackfillQuery
from infrastructure.trade_calendar_seed import seed_calendar
from services.api.backfill_checks import backfill_id_for
from services.api.backfill_checks import backfill_out
from services.api.backfill_checks import backfill_summary
from services.api.backfill_checks import checked_backfill
from services.api.backfill_checks import is_active
from services.api.backfill_schemas import BackfillOut
from services.api.backfill_schemas import BackfillPage
from services.api.backfill_schemas import BackfillRequest
from services.api.commands import Wait
from services.api.commands import answer
from services.api.commands import done
from services.api.commands import existing_job
from services.api.commands import publish
from services.api.dependencies import AdminUser
from services.api.dependencies import ApiContext
from services.api.dependencies import Context
from services.api.dependencies import JobId
from services.api.errors import WITH_BODY
from services.api.listing import Listing
from services.api.messages import text
from services.api.paging import JobsPage
from services.api.read_your_writes import Applied
from services.api.route_declarations import SchedulerRouter
from services.api.schemas import Envelope

router = SchedulerRouter("backfills")

BackfillId = Annotated[str, Path(pattern=r"^bf[0-9a-f]{32}$", description="backfill id")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200, description="the same key with the same body makes one backfill, however often sent"
    ),
]


@dataclass(frozen=True)
class BackfillFilters(JobsPage):
    """The page of the backfills of all jobs, with its filters."""

    active: Annotated[bool | None, Query(description="true: only those not finished; false: finished")] = None


BACKFILLS = Listing(BackfillPage, "backfills", backfill_summary, "backfills_listed")
MAX_ROUNDS = 100  # the same body asked again after its earlier backfills finished (without a key)


@router.command(
    "POST",
    "/jobs/{job_id}/backfill",
    "Backfill a job over a past range: one run per trading day (admin)",
    Envelope[BackfillOut | None],
    errors=(*WITH_BODY, 404, 409),
    description="For kinds that take a date range (each run gets its day: `trade_date`, or `start_date` "
    "(and `end_date`) set to the day). Days run oldest first, at most `max_parallel` at once, within the "
    "job's overlap policy. 422 naming the field: a date that does not parse, a reversed range, a range "
    "over ten years, no trading day in it, a year the trading calendar does not know, `max_parallel` out "
    "of range, kwargs the kind does not accept, a kind without a date range; 409: too many active "
    "backfills.",
    status_code=status.HTTP_201_CREATED,
    more_answers={
        200: {"model": Envelope[BackfillOut], "description": "this very request made this backfill"}
    },
)
async def request_backfill(
    context: Context,
    user: AdminUser,
    job_id: JobId,
    request: BackfillRequest,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    wait: Wait = True,
) -> Envelope[BackfillOut | None]:
    """Check the request, send `RequestBackfill`, answer the backfill once listed."""
    job = await existing_job(context, job_id)
    settings = context.settings
    checked = checked_backfill(job, request, seed_calendar(), settings.backfill_max_parallel)
    backfill_id, existing = await _identity(context, user.username, job_id, request, idempotency_key)
    if existing is not None:
        response.status_code = status.HTTP_200_OK
        shown = backfill_summary(existing, context.zone)
        return done(context, text("backfill_exists", backfill_id=backfill_id), shown)
    _, active = await context.store.list_backfills(BackfillQuery(active=True, limit=0))
    if active >= settings.max_active_backfills:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=text("backfill_too_many", limit=active))
    command = RequestBackfill(
        job_id=job_id,
        backfill_id=backfill_id,
        start_date=request.start_date,
        end_date=request.end_date,
        days=checked.days,
        max_parallel=request.max_parallel,
        kwargs=checked.kwargs,
        **context.command_fields(user),
    )
    await publish(context, command)
    not_listed_yet: BackfillOut | None = None
    result = await answer(
        context,
        response,
        wait=wait,
        applied=_shown(context, backfill_id, lambda _record: True),
        message=text("backfill_requested", job_id=job_id, backfill_id=backfill_id, days=len(checked.days)),
        what=text("what_backfill", backfill_id=backfill_id),
        location=_location(backfill_id),
        data=not_listed_yet,
    )
    return await _with_record(context, result, backfill_id)


async def _identity(
    context: ApiContext, actor: str, job_id: str, request: BackfillRequest, key: str | None
) -> tuple[str, BackfillRecord | None]:
    """The backfill id of this request and the backfill it already made (None: a new one)."""
    for round_ in range(MAX_ROUNDS):
        backfill_id = backfill_id_for(actor, job_id, request, key, round_)
        existing = await context.store.get_backfill(backfill_id)
        if existing is None:
            return backfill_id, None
        if key is not None or is_active(existing):
            return backfill_id, existing
    return backfill_id_for(actor, job_id, request, key, MAX_ROUNDS), None


@router.read("/backfills", "Backfills, newest first", Envelope[BackfillPage])
async def list_backfills(
    context: Context, page: Annotated[BackfillFilters, Depends()]
) -> Envelope[BackfillPage]:
    """A page of backfills, newest first (by when they were asked for), with how many match."""
    query = BackfillQuery(active=page.active, job_id=page.job_id, limit=page.limit, offset=page.offset)
    return BACKFILLS.answer(context, await context.store.list_backfills(query), page.limit, page.offset)


@router.read(
    "/backfills/{backfill_id}",
    "One backfill: status, counts and every day's run",
    Envelope[BackfillOut],
    errors=(404,),
)
async def get_backfill(context: Context, backfill_id: BackfillId) -> Envelope[BackfillOut]:
    """The backfill with its counts and each day's run (`pending` until it starts)."""
    record = await _existing(context, backfill_id)
    shown = backfill_out(record, context.zone, with_runs=True)
    return done(context, text("backfill_detail"), shown)


@router.command(
    "POST",
    "/backfills/{backfill_id}/cancel",
    "Cancel a backfill: days not started never start, running ones are cancelled (admin)",
    Envelope[BackfillOut],
    errors=(404, 409),
)
async def cancel_backfill(
    context: Context, user: AdminUser, backfill_id: BackfillId, response: Response, wait: Wait = True
) -> Envelope[BackfillOut]:
    """Send `CancelBackfill` (409 once it has ended); answer once it shows cancelling or cancelled."""
    record = await _existing(context, backfill_id)
    if not is_active(record):
        detail = text("backfill_ended", backfill_id=backfill_id, status=record.status)
        raise HTTPException(status.HTTP_409_CONFLICT, detail=detail)
    command = CancelBackfill(job_id=record.job_id, backfill_id=backfill_id, **context.command_fields(user))
    await publish(context, command)
    result = await answer(
        context,
        response,
        wait=wait,
        applied=_shown(context, backfill_id, lambda shown: shown.status != "running"),
        message=text("backfill_cancel_requested", backfill_id=backfill_id),
        what=text("what_backfill", backfill_id=backfill_id),
        location=_location(backfill_id),
        data=backfill_summary(record, context.zone),
    )
    refreshed = await context.store.get_backfill(backfill_id)
    if refreshed is not None:
        result.data = backfill_summary(refreshed, context.zone)
    return result


async def _existing(context: ApiContext, backfill_id: str) -> BackfillRecord:
    record = await context.store.get_backfill(backfill_id)
    if record is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=text("backfill_not_found", backfill_id=backfill_id)
        )
    return record


async def _with_record(
    context: ApiContext, result: Envelope[BackfillOut | None], backfill_id: str
) -> Envelope[BackfillOut | None]:
    record = await context.store.get_backfill(backfill_id)
    if record is not None:
        result.data = backfill_summary(record, context.zone)
    return result


def _shown(context: ApiContext, backfill_id: str, shown: Callable[[BackfillRecord], bool]) -> Applied:
    async def check() -> bool:
        record = await context.store.get_backfill(backfill_id)
        return record is not None and shown(record)

    return check


def _location(backfill_id: str) -> str:
    return f"/api/scheduler/backfills/{quote(backfill_id, safe='')}"
