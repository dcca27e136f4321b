"""The API's checks of a backfill request, and how a backfill record is shown.

Each refusal names its field and the reason (422).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.exceptions import RequestValidationError

from contracts.events import TERMINAL_STATUSES
from contracts.events import backfill_execution_id
from domain.backfill_projection import ACTIVE_BACKFILL_STATUSES
from domain.records import BackfillRecord
from domain.records import JobRecord
from domain.same_fields import copied
from domain.scheduling.backfills import DONE_STATUSES
from domain.scheduling.backfills import FAILED_STATUSES
from domain.scheduling.backfills import day_kwargs
from domain.trade_calendar import TradeCalendar
from domain.trade_calendar import trading_days_between
from services.api.backfill_schemas import BackfillOut
from services.api.backfill_schemas import BackfillRequest
from services.api.backfill_schemas import BackfillRun
from services.api.messages import text
from services.api.parameters import checked_kwargs
from services.api.views import iso

MAX_SPAN_DAYS = 3_653
"""Ten years of calendar days (leap days included)."""
_IDS = uuid.UUID("9d1f3c57-2b8e-4f0a-8c61-5e2a7b9d0c14")


def refused(field: str, message: str) -> RequestValidationError:
    """A 422 naming the body field and the reason."""
    return RequestValidationError([{"loc": ("body", field), "msg": message, "type": "value_error"}])


def _day(field: str, value: str) -> date:
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise refused(field, text("backfill_bad_date", field=field, value=value)) from None


@dataclass(frozen=True)
class CheckedBackfill:
    """A request that passed every check: its trading days and the kwargs it adds."""

    days: tuple[str, ...]
    kwargs: dict[str, Any]


def checked_backfill(
    job: JobRecord, request: BackfillRequest, calendar: TradeCalendar, max_parallel: int
) -> CheckedBackfill:
    """The trading days of the request's range, or the 4xx of the first thing wrong with it."""
    start, end = _day("start_date", request.start_date), _day("end_date", request.end_date)
    if not day_kwargs(job.job_kind, start.isoformat()):
        raise refused("job_id", text("backfill_no_range", job_id=job.job_id, kind=job.job_kind))
    if end < start:
        raise refused("end_date", text("backfill_reversed", start=start, end=end))
    if (end - start).days > MAX_SPAN_DAYS:
        raise refused("end_date", text("backfill_too_long", start=start, end=end))
    if not 1 <= request.max_parallel <= max_parallel:
        raise refused(
            "max_parallel", text("backfill_parallel", value=request.max_parallel, limit=max_parallel)
        )
    found = trading_days_between(calendar, start, end)
    if found.missing_years:
        years = ", ".join(str(year) for year in found.missing_years)
        raise refused("end_date", text("backfill_unknown_years", years=years))
    if not found.days:
        raise refused("start_date", text("backfill_no_trading_day", start=start, end=end))
    kwargs = dict(request.kwargs or {})
    checked_kwargs(job, {**job.kwargs, **kwargs, **day_kwargs(job.job_kind, found.days[0].isoformat())})
    return CheckedBackfill(tuple(day.isoformat() for day in found.days), kwargs)


def backfill_id_for(actor: str, job_id: str, request: BackfillRequest, key: str | None, round_: int) -> str:
    """A backfill's id, the same for the same request sent again.

    A backfill's id from who asked, for which job, with which body and `Idempotency-Key`: the same
    request sent again finds the same backfill. `round_` > 0: the same body once more, after the earlier
    one with that body finished (without a key).
    """
    body = request.model_dump_json()
    return "bf" + uuid.uuid5(_IDS, f"{actor}|{job_id}|{body}|{key or ''}|{round_}").hex


def is_active(record: BackfillRecord) -> bool:
    """Not finished yet."""
    return record.status in ACTIVE_BACKFILL_STATUSES


def backfill_summary(record: BackfillRecord, zone: ZoneInfo) -> BackfillOut:
    """A backfill as a list (or a command's answer) shows it: its counts, without each day's run."""
    return backfill_out(record, zone, with_runs=False)


def backfill_out(record: BackfillRecord, zone: ZoneInfo, *, with_runs: bool) -> BackfillOut:
    """A backfill as the API shows it."""
    statuses = [record.runs.get(day, "pending") for day in record.days]
    done = sum(1 for status in statuses if status in DONE_STATUSES)
    failed = sum(1 for status in statuses if status in FAILED_STATUSES)
    ended = sum(1 for status in statuses if status in TERMINAL_STATUSES)
    pending = statuses.count("pending")
    never_started = pending if not is_active(record) else 0
    runs = [
        BackfillRun(day=day, execution_id=backfill_execution_id(record.backfill_id, day), status=status)
        for day, status in zip(record.days, statuses, strict=True)
    ]
    return copied(
        BackfillOut,
        record,
        requested_at=iso(record.requested_at, zone) or "",
        finished_at=iso(record.finished_at, zone),
        total=len(record.days),
        done=done,
        failed=failed,
        cancelled=ended - done - failed + never_started,
        running=len(statuses) - ended - pending,
        pending=pending - never_started,
        runs=runs if with_runs else None,
    )
