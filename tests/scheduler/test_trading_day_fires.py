"""A job limited to `policy.calendar` in the leader: a holiday's fire is dropped silently (no run, no miss),
a trading day's runs, a day of a year the calendar does not know is refused and logged once. The wall
clock is the decider's `Now`, fixed: no sleeps."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contracts.events import JobMissed
from contracts.events import JobSkipped
from contracts.events import RunQueued
from domain.run_policy import RunPolicy
from domain.scheduling.fire import Fire
from domain.trade_calendar import CN_A_SHARE
from infrastructure.store.claims_port import LocalRunClaims
from infrastructure.store.sqlite_store import SQLiteStore
from infrastructure.store.sqlite_trade_calendar import SQLiteTradeCalendars
from services.scheduler.definitions import JobDefinition
from services.scheduler.desk import Desk
from services.scheduler.firing import carry_out_fire
from services.scheduler.firing import carry_out_fires
from services.scheduler.settings import SchedulerSettings
from services.scheduler.trade_calendars import CalendarBook
from services.scheduler.triggers import build_trigger
from tests.api.fakes import RecordingBus

SHANGHAI = ZoneInfo("Asia/Shanghai")
JOB = JobDefinition(
    job_id="close_report",
    name="close report",
    job_kind="pipeline_canary",
    trigger="0 16 * * *",
    policy=RunPolicy(calendar=CN_A_SHARE),
)


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    store = SQLiteStore(tmp_path / "scheduler.sqlite3")
    calendars = CalendarBook(SQLiteTradeCalendars(tmp_path / "scheduler.sqlite3"))
    await store.open()
    await calendars.open()  # seeds the store from the committed file (2005-2026), then reads it
    wall = datetime(2026, 12, 31, 16, 0, 1, tzinfo=SHANGHAI)
    try:
        yield Desk(
            bus=RecordingBus(),
            store=store,
            claims=LocalRunClaims(),
            definitions={JOB.job_id: JOB},
            settings=SchedulerSettings(timezone="Asia/Shanghai"),
            producer="scheduler:test",
            wall=lambda: wall,
            calendars=calendars,
        )
    finally:
        await calendars.close()
        await store.close()


def published(desk: Desk) -> list[object]:
    bus: RecordingBus = desk.bus  # type: ignore[assignment]
    return list(bus.published)


async def test_a_holiday_fire_is_neither_run_nor_missed(desk: Desk) -> None:
    national_day = datetime(2026, 10, 1, 16, 0, tzinfo=SHANGHAI)
    desk.wall = lambda: datetime(2026, 10, 1, 16, 0, 1, tzinfo=SHANGHAI)
    await carry_out_fire(desk, JOB, Fire.at(JOB.job_id, national_day))
    await carry_out_fire(desk, JOB, Fire.at(JOB.job_id, national_day, origin="downtime"))
    assert published(desk) == []
    trading_day = datetime(2026, 10, 9, 16, 0, tzinfo=SHANGHAI)
    desk.wall = lambda: datetime(2026, 10, 9, 16, 0, 1, tzinfo=SHANGHAI)
    await carry_out_fire(desk, JOB, Fire.at(JOB.job_id, trading_day))
    assert isinstance(published(desk)[0], RunQueued), "the trading day runs"
    assert not any(isinstance(message, (JobMissed, JobSkipped)) for message in published(desk))


async def test_the_clocks_burst_drops_the_holiday_fire_too(desk: Desk) -> None:
    """The clock hands a burst to `carry_out_fires`: the same trading-day rule holds there."""
    national_day = datetime(2026, 10, 1, 16, 0, tzinfo=SHANGHAI)
    desk.wall = lambda: datetime(2026, 10, 1, 16, 0, 1, tzinfo=SHANGHAI)
    await carry_out_fires(desk, [(JOB, Fire.at(JOB.job_id, national_day))])
    assert published(desk) == []
    trading_day = datetime(2026, 10, 9, 16, 0, tzinfo=SHANGHAI)
    desk.wall = lambda: datetime(2026, 10, 9, 16, 0, 1, tzinfo=SHANGHAI)
    await carry_out_fires(desk, [(JOB, Fire.at(JOB.job_id, trading_day))])
    assert isinstance(published(desk)[0], RunQueued), "the trading day runs"


async def test_the_trigger_never_offers_the_holiday(desk: Desk) -> None:
    trigger = build_trigger(JOB.trigger, SHANGHAI, calendar=desk.calendars.source(CN_A_SHARE))
    after = datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI)
    fire = trigger.next_after(after)
    assert fire is not None and fire.astimezone(SHANGHAI) == datetime(2026, 10, 8, 16, 0, tzinfo=SHANGHAI)


async def test_a_day_of_an_unknown_year_is_not_fired_and_told_once(
    desk: Desk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="services.scheduler.trade_calendars")
    for day in (4, 5):
        await carry_out_fire(desk, JOB, Fire.at(JOB.job_id, datetime(2027, 1, day, 16, 0, tzinfo=SHANGHAI)))
    assert published(desk) == []
    told = [record for record in caplog.records if "does not know 2027" in record.getMessage()]
    assert len(told) == 1


async def test_a_manual_run_is_not_limited(desk: Desk) -> None:
    holiday = datetime(2026, 10, 1, 16, 0, tzinfo=SHANGHAI)
    desk.wall = lambda: datetime(2026, 10, 1, 16, 0, 1, tzinfo=SHANGHAI)
    manual = replace(Fire.at(JOB.job_id, holiday), origin="manual", execution_id="manual-1")
    await carry_out_fire(desk, JOB, manual)
    assert isinstance(published(desk)[0], RunQueued)
