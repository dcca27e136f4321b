"""Health warnings of the trading-day calendars.

A calendar some job keeps to (`policy.calendar`) that does not know this year, or the year of a day within
`AHEAD_DAYS`, is named (the scheduler does not fire those jobs on its days until the calendar sync adds it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from domain.records import JobRecord
from domain.triggers.trading_days import calendar_of
from services.api.calendars import ApiCalendars
from services.api.calendars import today_and_ahead
from services.api.language import current_language

AHEAD_DAYS = 31


def calendars_in_use(jobs: Iterable[JobRecord]) -> dict[str, list[str]]:
    """Each calendar id some live job keeps to, with those jobs' ids."""
    used: dict[str, list[str]] = {}
    for job in jobs:
        if job.deleted or not job.definition:
            continue
        calendar_id = calendar_of(job.definition.get("policy") or {})
        if calendar_id is not None:
            used.setdefault(calendar_id, []).append(job.job_id)
    return used


async def calendar_warnings(calendars: ApiCalendars, jobs: Iterable[JobRecord], today: date) -> list[str]:
    """One sentence (caller's language) per calendar in use that misses a year of the coming weeks."""
    warnings: list[str] = []
    for calendar_id, job_ids in sorted(calendars_in_use(jobs).items()):
        missing = await calendars.missing_years(calendar_id, today_and_ahead(today, AHEAD_DAYS))
        if missing:
            warnings.append(_sentence(calendar_id, missing, job_ids))
    return warnings


def _sentence(calendar_id: str, missing: list[int], job_ids: list[str]) -> str:
    years = ", ".join(str(year) for year in missing)
    jobs = ", ".join(sorted(job_ids)[:10]) + ("…" if len(job_ids) > 10 else "")
    if current_language() == "en":
        return (
            f"trading calendar {calendar_id} does not know {years}: jobs {jobs} do not run on its days "
            "until the calendar sync (trade_calendar_sync) adds the year"
        )
    return (
        f"交易日历 {calendar_id} 尚无 {years} 年的数据：任务 {jobs} 在这些日子不会执行，"
        "等待日历同步（trade_calendar_sync）补齐"
    )
