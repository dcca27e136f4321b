"""`policy.calendar`: fires on trading days only; a known closed day is skipped, an unknown year is named."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

from contracts.commands import JobPolicy
from domain.scheduling.definitions import merged_policy
from domain.trade_calendar import TradeCalendar
from domain.triggers import IntervalTrigger
from domain.triggers import parse_trigger
from domain.triggers.trading_days import TradingDayTrigger
from domain.triggers.trading_days import calendar_of
from domain.triggers.trading_days import fire_day_verdict
from domain.triggers.trading_days import missing_years_ahead
from infrastructure.trade_calendar_seed import seed_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def limited(text: str, zone: ZoneInfo, calendar: TradeCalendar) -> TradingDayTrigger:
    return TradingDayTrigger(parse_trigger(text).build(zone), zone, lambda: calendar)


def fires(trigger: TradingDayTrigger, after: datetime, count: int) -> list[datetime]:
    found: list[datetime] = []
    current = after.astimezone(UTC)
    while len(found) < count and (fire := trigger.next_after(current)) is not None:
        found.append(fire)
        current = fire
    return found


def weekdays(first: date, last: date, *, closed: frozenset[date] = frozenset()) -> TradeCalendar:
    days = {first + timedelta(n) for n in range((last - first).days + 1)}
    trading = frozenset(day for day in days if day.weekday() < 5 and day not in closed)
    return TradeCalendar(trading, frozenset(range(first.year, last.year + 1)), "test")


def test_daily_fires_skip_weekends_and_the_spring_festival() -> None:
    trigger = limited("30 9 * * *", SHANGHAI, seed_calendar())
    runs = [
        fire.astimezone(SHANGHAI) for fire in fires(trigger, datetime(2025, 1, 24, 12, tzinfo=SHANGHAI), 4)
    ]
    # 25/26 January a weekend (the exchanges close on make-up Sundays too), 28 January-4 February the festival
    assert [run.date() for run in runs] == [
        date(2025, 1, 27),
        date(2025, 2, 5),
        date(2025, 2, 6),
        date(2025, 2, 7),
    ]
    assert all((run.hour, run.minute) == (9, 30) for run in runs)


def test_a_minutely_interval_jumps_a_closed_week_in_one_call() -> None:
    trigger = TradingDayTrigger(
        IntervalTrigger(60, datetime(2000, 1, 1, tzinfo=SHANGHAI)), SHANGHAI, seed_calendar
    )
    after = datetime(2025, 1, 27, 23, 59, tzinfo=SHANGHAI)
    assert trigger.next_after(after) == datetime(2025, 2, 5, 0, 0, tzinfo=SHANGHAI)


def test_the_next_runs_stop_at_a_year_the_calendar_does_not_know() -> None:
    calendar = weekdays(date(2026, 1, 1), date(2026, 12, 31), closed=frozenset({date(2026, 12, 31)}))
    trigger = limited("0 16 * * *", SHANGHAI, calendar)
    runs, missing = missing_years_ahead(
        trigger, calendar, SHANGHAI, datetime(2026, 12, 28, 17, tzinfo=SHANGHAI), 10
    )
    assert [run.astimezone(SHANGHAI).date() for run in runs] == [date(2026, 12, 29), date(2026, 12, 30)]
    assert missing == (2027,), "named, not guessed as weekdays"
    # the trigger itself passes the unknown year's fire through: the firing step refuses it
    first_2027 = trigger.next_after(runs[-1])
    assert first_2027 is not None and first_2027.astimezone(SHANGHAI).date() == date(2027, 1, 1)
    assert fire_day_verdict(calendar, first_2027, SHANGHAI) == "unknown"
    assert fire_day_verdict(None, first_2027, SHANGHAI) == "unknown"


def test_the_local_date_decides_in_a_zone_with_daylight_saving_time() -> None:
    calendar = weekdays(date(2025, 3, 1), date(2025, 3, 31))
    trigger = limited("30 23 * * *", NEW_YORK, calendar)
    runs = fires(trigger, datetime(2025, 3, 7, 12, tzinfo=NEW_YORK), 3)
    local = [run.astimezone(NEW_YORK) for run in runs]
    # Friday 23:30 is Saturday in UTC, still a trading day locally; the clocks go forward on Sunday 9 March
    assert [run.date() for run in local] == [date(2025, 3, 7), date(2025, 3, 10), date(2025, 3, 11)]
    assert runs[0] == datetime(2025, 3, 8, 4, 30, tzinfo=UTC) and runs[1] == datetime(
        2025, 3, 11, 3, 30, tzinfo=UTC
    )
    assert fire_day_verdict(calendar, runs[0], NEW_YORK) == "trading"
    assert fire_day_verdict(calendar, runs[0], ZoneInfo("Asia/Shanghai")) == "closed"


def test_the_policy_names_a_known_calendar_or_none() -> None:
    assert calendar_of({"calendar": "cn_a_share"}) == "cn_a_share"
    assert calendar_of({"calendar": "none"}) is None and calendar_of({}) is None
    assert calendar_of({"calendar": "nyse"}) is None
    base = {"overlap": "skip", "calendar": "cn_a_share"}
    assert merged_policy(base, JobPolicy(max_attempts=2))["calendar"] == "cn_a_share"
    assert "calendar" not in merged_policy(base, JobPolicy(calendar="none"))
