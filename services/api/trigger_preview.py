"""Trigger previews: the next fire times of a trigger text (or of a job's trigger) and its description.

Pure trigger arithmetic (`domain.triggers`): no scheduler library, no market library. A job's trigger is
known here by the text the scheduler shows (`cron[...]`, `interval[...]`), read back into the same trigger.
"""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from pydantic import BaseModel
from pydantic import Field

from contracts.commands import JobPolicy
from domain.trade_calendar import TradeCalendar
from domain.triggers import DstPolicy
from domain.triggers import Trigger
from domain.triggers import TriggerSpec
from domain.triggers import describe
from domain.triggers.trading_days import TradingDayTrigger
from domain.triggers.trading_days import missing_years_ahead
from services.api.language import current_language
from services.api.messages import text

# An IANA name (`Asia/Shanghai`, `Etc/GMT+8`): never a path out of the zone database.
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}")
MAX_RUNS = 50
DEFAULT_RUNS = 10


class DstChoice(BaseModel):
    """What a wall-clock trigger does when the clocks change (no effect in zones without summer time)."""

    repeated: Literal["first", "every"] = Field(
        default="first", description="repeated hour (autumn): first occurrence only, or every occurrence"
    )
    skipped: Literal["shift", "skip"] = Field(
        default="shift", description="skipped hour (spring): once at the first valid instant, or not at all"
    )


class PreviewRequest(BaseModel):
    """A trigger text to preview, in a time zone (default: the server's), with how many fire times."""

    trigger: str = Field(
        min_length=1,
        max_length=500,
        description="a 5-field cron expression, a macro (`@daily`), `HH:MM` or `interval:SECONDS`",
        examples=["0 16 * * 1-5"],
    )
    count: int = Field(default=DEFAULT_RUNS, ge=1, le=MAX_RUNS, description="how many fire times")
    timezone: str | None = Field(
        default=None, max_length=64, description="IANA zone; the scheduler's zone when left out"
    )
    dst: DstChoice = Field(default_factory=DstChoice)
    policy: JobPolicy | None = Field(
        default=None, description="a job's policy: `calendar` limits the fires to trading days"
    )


class TriggerPreview(BaseModel):
    """A trigger's next fire times and its description in words."""

    trigger: str = Field(description="the trigger as given (or as the scheduler shows the job's)")
    timezone: str
    description: str = Field(description="the trigger in words, in the caller's language")
    next_runs: list[str] = Field(description="the next fire times, ISO 8601 with each one's own offset")
    calendar: str | None = Field(default=None, description="the trading-day calendar the fires keep to")
    calendar_missing_years: list[int] = Field(
        default_factory=list,
        description="a year the calendar does not know, reached by the next runs: they stop before it",
    )
    calendar_note: str | None = Field(
        default=None, description="the missing year in words (caller's language)"
    )


class JobNextRuns(TriggerPreview):
    """A job's next fire times (once resumed, when paused) and its trigger in words."""

    job_id: str
    paused: bool = Field(description="a paused job does not fire: these are its times once resumed")


def zone_named(name: str) -> ZoneInfo:
    """An IANA zone; ValueError (naming it) when unknown."""
    if _ZONE_NAME.fullmatch(name):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # a directory (`America`) is an OSError
            pass
    raise ValueError(text("preview_unknown_timezone", zone=name[:64]))


def next_runs(trigger: Trigger, zone: ZoneInfo, count: int, now: datetime) -> list[str]:
    """The trigger's next `count` fire times after `now`, in `zone` as ISO 8601."""
    runs: list[str] = []
    at = now.astimezone(UTC)
    while len(runs) < count and (fire := trigger.next_after(at)) is not None:
        runs.append(fire.astimezone(zone).isoformat())
        at = fire
    return runs


def preview(
    spec: TriggerSpec,
    zone: ZoneInfo,
    count: int,
    dst: DstPolicy,
    now: datetime,
    calendar: tuple[str, TradeCalendar | None] | None = None,
) -> TriggerPreview:
    """The preview of a trigger: its next runs and its words.

    The next `count` runs and the words; with a `(calendar id, calendar)` only trading days, stopping
    (and saying so) at a year the calendar does not know.
    """
    description = describe(spec, current_language())
    trigger = spec.build(zone, dst)
    if calendar is None:
        return TriggerPreview(
            trigger=spec.text,
            timezone=zone.key,
            description=description,
            next_runs=next_runs(trigger, zone, count, now),
        )
    name, days = calendar
    limited = TradingDayTrigger(trigger, zone, lambda: days)
    fires, missing = missing_years_ahead(limited, days, zone, now.astimezone(UTC), count)
    years = (
        "、".join(str(year) for year in missing)
        if current_language() == "zh"
        else ", ".join(map(str, missing))
    )
    return TriggerPreview(
        trigger=spec.text,
        timezone=zone.key,
        description=text("preview_trading_days_only", description=description, calendar=name),
        next_runs=[fire.astimezone(zone).isoformat() for fire in fires],
        calendar=name,
        calendar_missing_years=list(missing),
        calendar_note=text("preview_calendar_missing_years", calendar=name, years=years) if missing else None,
    )
