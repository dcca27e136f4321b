"""A calendar sync's change reaches the leader: the next run of a job limited to the calendar is computed
again (and published) at the next calendar check, without a restart."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

from domain.run_policy import RunPolicy
from domain.trade_calendar import CN_A_SHARE
from infrastructure.bus.leadership import InProcessElection
from infrastructure.store.sqlite_trade_calendar import SQLiteTradeCalendars
from infrastructure.store.trade_calendar_port import CalendarYear
from services.embedded.system import EmbeddedSystem
from services.scheduler.definitions import JobDefinition
from services.scheduler.service import SchedulerService
from tests.waiting import wait_until

SHANGHAI = ZoneInfo("Asia/Shanghai")
AT_FOUR = JobDefinition(
    job_id="at_four_on_trading_days",
    name="交易日 16:00",
    job_kind="pipeline_canary",
    trigger="0 16 * * *",
    kwargs={"duration_s": 0},
    policy=RunPolicy(calendar=CN_A_SHARE),
)


def weekdays(year: int, *, closed: date) -> frozenset[date]:
    first = date(year, 1, 1)
    days = (first + timedelta(n) for n in range(366))
    return frozenset(day for day in days if day.year == year and day.weekday() < 5 and day != closed)


async def test_a_reloaded_calendar_moves_the_next_run(pipeline: EmbeddedSystem) -> None:
    settings = pipeline.settings.model_copy(update={"trade_calendar_reload_s": 1.0})
    scheduler = SchedulerService(
        bus=pipeline.bus,
        store=pipeline.store,
        election=InProcessElection("test-leader"),
        definitions={AT_FOUR.job_id: AT_FOUR},
        settings=settings,
        scheduler_id="test",
        calendars=SQLiteTradeCalendars(settings.sqlite_file),
    )
    await scheduler.start()
    try:

        async def next_run() -> datetime | None:
            job = await pipeline.store.get_job(AT_FOUR.job_id)
            return job.next_run_time if job is not None else None

        await wait_until(next_run, timeout=10)
        first = await next_run()
        assert first is not None
        closed = first.astimezone(SHANGHAI).date()
        writer = SQLiteTradeCalendars(settings.sqlite_file)
        await writer.open()
        now = datetime.now(UTC)
        await writer.put_years(
            [
                CalendarYear(CN_A_SHARE, year, weekdays(year, closed=closed), "test", now)
                for year in (closed.year, closed.year + 1)
            ]
        )
        await writer.close()

        async def moved() -> bool:
            later = await next_run()
            return later is not None and later.astimezone(SHANGHAI).date() != closed

        await wait_until(moved, timeout=15)
        later = await next_run()
        assert later is not None and later > first and later.astimezone(SHANGHAI).weekday() < 5
    finally:
        await scheduler.stop()
