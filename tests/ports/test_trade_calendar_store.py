"""The trade-calendar store, one suite over its adapters (SQLite file, MongoDB emulated, or a real MongoDB
at MONGODB_TEST_URL): whole years upserted, unknown years stay unknown, the seed written once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC
from datetime import date
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from domain.trade_calendar import CN_A_SHARE
from domain.trade_calendar import is_trading_day
from domain.trade_calendar import parse_calendar
from infrastructure.store.mongo_trade_calendar import MongoTradeCalendars
from infrastructure.store.sqlite_trade_calendar import SQLiteTradeCalendars
from infrastructure.store.trade_calendar_port import CalendarYear
from infrastructure.store.trade_calendar_port import TradeCalendarStore
from infrastructure.store.trade_calendar_port import seed_if_empty
from infrastructure.trade_calendar_seed import seed_calendar
from tests.backends import MONGODB_TEST_URL
from tests.backends import store_backends
from tests.mongo_emulation import emulated_client

T0 = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)


@pytest.fixture(params=store_backends())
async def calendars(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[TradeCalendarStore]:
    store: Any
    client: AsyncMongoClient[dict[str, Any]] | None = None
    database = f"test_calendar_{uuid.uuid4().hex}"
    if request.param == "sqlite":
        store = SQLiteTradeCalendars(tmp_path / "scheduler.sqlite3")
    elif request.param == "mongodb-real":
        assert MONGODB_TEST_URL is not None
        client = AsyncMongoClient(MONGODB_TEST_URL, tz_aware=True, serverSelectionTimeoutMS=5000)
        store = MongoTradeCalendars(client[database])
    else:
        store = MongoTradeCalendars(emulated_client()[database])
    await store.open()
    try:
        yield store
    finally:
        await store.close()
        if client is not None:
            await client.drop_database(database)
            await client.close()


def year(number: int, *days: date, source: str = "test") -> CalendarYear:
    return CalendarYear(CN_A_SHARE, number, frozenset(days), source, T0)


async def test_whole_years_are_upserted_and_an_unknown_year_stays_unknown(
    calendars: TradeCalendarStore,
) -> None:
    empty = await calendars.load(CN_A_SHARE)
    assert empty.years == frozenset() and empty.days == frozenset()
    first = await calendars.revision()
    assert await calendars.put_years([year(2027, date(2027, 1, 4), date(2027, 1, 5))]) == [2027]
    assert await calendars.revision() != first
    assert await calendars.put_years([year(2027, date(2027, 1, 4), date(2027, 1, 5))]) == [], "same days"
    unchanged = await calendars.revision()
    assert await calendars.put_years([year(2027, date(2027, 1, 5), source="other")]) == [2027]
    assert await calendars.revision() != unchanged
    loaded = await calendars.load(CN_A_SHARE)
    assert loaded.years == frozenset({2027}) and loaded.days == frozenset({date(2027, 1, 5)})
    assert loaded.source == "other"
    assert is_trading_day(loaded, date(2027, 1, 4)) is False
    assert is_trading_day(loaded, date(2028, 1, 4)) is None
    assert (await calendars.known_years(CN_A_SHARE))[2027][0] == "other"
    assert (await calendars.load("another")).years == frozenset()


async def test_a_known_year_without_a_day_is_closed_all_year(calendars: TradeCalendarStore) -> None:
    await calendars.put_years([year(2030)])
    loaded = await calendars.load(CN_A_SHARE)
    assert loaded.years == frozenset({2030}) and is_trading_day(loaded, date(2030, 6, 3)) is False


async def test_the_seed_is_written_once_and_never_over_a_synced_year(calendars: TradeCalendarStore) -> None:
    seed = parse_calendar("# source: seed\n20250102\n20250103\n20261231\n")
    await calendars.put_years([year(2026, date(2026, 1, 5), source="synced")])
    assert await seed_if_empty(calendars, CN_A_SHARE, seed, T0) == 1  # 2025 only
    assert await seed_if_empty(calendars, CN_A_SHARE, seed, T0) == 0
    loaded = await calendars.load(CN_A_SHARE)
    assert loaded.years == frozenset({2025, 2026})
    assert date(2026, 1, 5) in loaded.days and date(2026, 12, 31) not in loaded.days


async def test_the_committed_seed_round_trips(calendars: TradeCalendarStore) -> None:
    seed = seed_calendar()
    assert await seed_if_empty(calendars, CN_A_SHARE, seed, T0) == len(seed.years)
    loaded = await calendars.load(CN_A_SHARE)
    assert loaded.days == seed.days and loaded.years == seed.years
