"""`trade_calendar_sync`: the trading days from the providers (fixtures of the real shapes, no network) into
the scheduler's store: whole years only, idempotent, never deleting a known year."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime

import pytest

from domain.trade_calendar import CN_A_SHARE
from domain.trade_calendar import is_trading_day
from infrastructure.store.trade_calendar_port import CalendarYear
from infrastructure.store.trade_calendar_port import TradeCalendarStore
from infrastructure.trade_calendar_seed import seed_calendar
from services.workers.catalogue import trade_calendar_sync
from services.workers.catalogue.loop import SyncFailed
from services.workers.catalogue.trade_calendar_sync import sync_calendar
from services.workers.catalogue.trade_calendar_sync import whole_years

from .conftest import MakeEnvironment
from .fakes import FakeAkshare
from .fakes import FakeClock
from .fakes import FakeContext
from .fakes import payload
from .fakes import shanghai

NOW = datetime(2025, 11, 20, 0, 30, tzinfo=UTC)


def seed_year(year: int) -> frozenset[date]:
    return frozenset(day for day in seed_calendar().days if day.year == year)


async def test_the_sync_writes_the_whole_years_akshare_answers(
    make_environment: MakeEnvironment, akshare: FakeAkshare
) -> None:
    environment = make_environment()
    result = payload(
        await trade_calendar_sync.trade_calendar_sync(environment, FakeContext("trade_calendar_sync"))
    )
    # the clock says 2024-10-11: last year to next year, all three whole in the fixture
    assert result["source"] == "akshare tool_trade_date_hist_sina"
    assert result["written_years"] == [2023, 2024, 2025] and result["changed_years"] == [2023, 2024, 2025]
    store = await environment.calendar_store()
    calendar = await store.load(CN_A_SHARE)
    assert calendar.years == frozenset({2023, 2024, 2025})
    assert is_trading_day(calendar, date(2024, 10, 1)) is False, "National Day"
    assert is_trading_day(calendar, date(2024, 10, 8)) is True
    again = payload(
        await trade_calendar_sync.trade_calendar_sync(environment, FakeContext("trade_calendar_sync"))
    )
    assert again["written_years"] == [2023, 2024, 2025] and again["changed_years"] == [], "idempotent"


async def test_a_year_not_yet_announced_is_reported_not_written(
    make_environment: MakeEnvironment, clock: FakeClock
) -> None:
    clock.set_now(shanghai(2025, 11, 20))
    environment = make_environment()
    result = payload(
        await trade_calendar_sync.trade_calendar_sync(environment, FakeContext("trade_calendar_sync"))
    )
    assert result["written_years"] == [2024, 2025]
    assert "2026" in result["skipped_years"] and "not the whole year" in result["skipped_years"]["2026"]


async def test_when_akshare_fails_baostock_is_asked_and_a_partial_answer_fails_the_run(
    make_environment: MakeEnvironment, akshare: FakeAkshare
) -> None:
    akshare.fail("tool_trade_date_hist_sina", ConnectionError("no route"), *[ConnectionError("no route")] * 5)
    environment = make_environment(tushare_token=None)
    with pytest.raises(SyncFailed, match="baostock query_trade_dates: no whole year"):
        await trade_calendar_sync.trade_calendar_sync(environment, FakeContext("trade_calendar_sync"))
    store = await environment.calendar_store()
    assert (await store.load(CN_A_SHARE)).years == frozenset(), "nothing written from a partial answer"


class Answering:
    """A source answering fixed days (the ones a provider returned)."""

    def __init__(self, days: set[date]) -> None:
        self.days = days

    async def __call__(self, start: date, end: date) -> set[date]:
        return {day for day in self.days if start <= day <= end}


async def test_a_source_answering_less_than_the_store_has_deletes_nothing(
    make_environment: MakeEnvironment,
) -> None:
    store: TradeCalendarStore = await make_environment().calendar_store()
    await store.put_years(
        [CalendarYear(CN_A_SHARE, y, seed_year(y), "seed", NOW) for y in (2024, 2025, 2026)]
    )
    before = await store.load(CN_A_SHARE)
    # the provider knows 2024 whole, 2025 only to June, and nothing of 2026
    answered = set(seed_year(2024)) | {day for day in seed_year(2025) if day.month <= 6}
    result = await sync_calendar(store, [("thin", Answering(answered))], date(2025, 11, 20), NOW)
    assert result["written_years"] == [2024] and result["changed_years"] == []
    assert set(result["skipped_years"]) == {"2025", "2026"}
    after = await store.load(CN_A_SHARE)
    assert after.days == before.days and after.years == before.years


def test_whole_years_need_both_ends_and_a_plausible_count() -> None:
    weekdays_only = {
        date(2025, 1, 1).fromordinal(n)
        for n in range(date(2025, 1, 1).toordinal(), date(2026, 1, 1).toordinal())
    }
    everyday = set(weekdays_only)
    kept, skipped = whole_years(everyday | set(seed_year(2024)), [2024, 2025])
    assert list(kept) == [2024] and "plausible" in skipped[2025]
