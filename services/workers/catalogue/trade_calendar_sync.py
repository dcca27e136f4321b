"""`trade_calendar_sync`: the SSE/SZSE trading days from the providers into the scheduler's store.

Sources, in order, until one answers: akshare `tool_trade_date_hist_sina` (network), baostock
`query_trade_dates`, tushare `trade_cal` (with a token). Only whole years are kept: a year counts when the
source has trading days in its first and its last fortnight and a plausible number of them
(`MIN_DAYS`-`MAX_DAYS`); the others are reported, not written. Each whole year is upserted (idempotent);
nothing is ever deleted, so a source that answers less than the store has changes nothing it does not
answer. The run's result (in its `JobFinished`) names the years written and those whose days changed;
the schedulers see the change at their next calendar check (`trade_calendar_reload_s`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Sequence
from datetime import date
from datetime import datetime
from typing import Any

from domain.trade_calendar import CN_A_SHARE
from infrastructure.store.trade_calendar_port import CalendarYear
from infrastructure.store.trade_calendar_port import TradeCalendarStore
from services.workers.catalogue.environment import JobEnvironment
from services.workers.catalogue.loop import JobResult
from services.workers.catalogue.loop import SyncFailed
from services.workers.job_api import JobContext
from services.workers.providers.errors import ProviderError

logger = logging.getLogger(__name__)

MIN_DAYS = 200  # the exchanges have traded 238-252 days a year since 2005
MAX_DAYS = 262  # every weekday of a year
YEARS_BACK = 1  # the years synced: last year to next year
YEARS_AHEAD = 1

Fetch = Callable[[date, date], Awaitable[set[date]]]


def whole_years(days: set[date], years: Sequence[int]) -> tuple[dict[int, frozenset[date]], dict[int, str]]:
    """The years of `years` the days cover whole, and why each other one is left out."""
    kept: dict[int, frozenset[date]] = {}
    skipped: dict[int, str] = {}
    for year in years:
        own = frozenset(day for day in days if day.year == year)
        if not any(day < date(year, 1, 15) for day in own) or not any(
            day > date(year, 12, 17) for day in own
        ):
            skipped[year] = f"{len(own)} day(s): not the whole year (not yet announced, or cut off)"
        elif not MIN_DAYS <= len(own) <= MAX_DAYS:
            skipped[year] = f"{len(own)} trading days is not a plausible year ({MIN_DAYS}-{MAX_DAYS})"
        else:
            kept[year] = own
    return kept, skipped


def _sources(environment: JobEnvironment) -> list[tuple[str, Fetch]]:
    sources: list[tuple[str, Fetch]] = [
        ("akshare tool_trade_date_hist_sina", environment.akshare.trade_dates_online),
        ("baostock query_trade_dates", _in_session(environment.baostock)),
    ]
    if environment.tushare is not None:
        sources.append(("tushare trade_cal", environment.tushare.trade_dates))
    return sources


def _in_session(provider: Any) -> Fetch:
    async def fetch(start: date, end: date) -> set[date]:
        async with provider:
            days: set[date] = await provider.trade_dates(start, end)
            return days

    return fetch


async def _first_answer(
    sources: list[tuple[str, Fetch]], years: Sequence[int]
) -> tuple[str, dict[int, frozenset[date]], dict[int, str], list[str]]:
    """The first source with at least one whole year; the errors of those tried before."""
    errors: list[str] = []
    start, end = date(years[0], 1, 1), date(years[-1], 12, 31)
    for name, fetch in sources:
        try:
            days = await fetch(start, end)
        except ProviderError as error:
            errors.append(f"{name}: {error}")
            logger.warning("trade calendar from %s unavailable: %s", name, error)
            continue
        kept, skipped = whole_years(days, years)
        if kept:
            return name, kept, skipped, errors
        errors.append(f"{name}: no whole year ({'; '.join(f'{y}: {r}' for y, r in skipped.items())})")
    raise SyncFailed(f"trade_calendar_sync: no source answered a whole year: {' | '.join(errors)}")


async def sync_calendar(
    store: TradeCalendarStore, sources: list[tuple[str, Fetch]], today: date, now: datetime
) -> dict[str, Any]:
    """Fetch, keep whole years, upsert them; the run's result."""
    years = list(range(today.year - YEARS_BACK, today.year + YEARS_AHEAD + 1))
    source, kept, skipped, errors = await _first_answer(sources, years)
    changed = await store.put_years(
        [CalendarYear(CN_A_SHARE, year, days, source, now) for year, days in sorted(kept.items())]
    )
    known = sorted(await store.known_years(CN_A_SHARE))
    result: dict[str, Any] = {
        "status": "success",
        "calendar": CN_A_SHARE,
        "source": source,
        "written_years": sorted(kept),
        "changed_years": changed,
        "skipped_years": {str(year): reason for year, reason in skipped.items()},
        "known_years": [known[0], known[-1]] if known else [],
    }
    if errors:
        result["sources_failed"] = errors
    return result


async def trade_calendar_sync(environment: JobEnvironment, context: JobContext) -> JobResult:
    """The catalogue job: sync the SSE/SZSE calendar into the scheduler's store."""
    await context.progress(0.0, "fetching the SSE/SZSE trading days")
    store = await environment.calendar_store()
    result = await sync_calendar(store, _sources(environment), environment.today(), environment.clock.now())
    logger.info(
        "trade calendar %s from %s: years %s written, %s changed",
        CN_A_SHARE,
        result["source"],
        result["written_years"],
        result["changed_years"],
    )
    await context.progress(100.0, f"years {result['written_years']} written")
    return result
