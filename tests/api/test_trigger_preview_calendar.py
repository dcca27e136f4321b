"""`policy.calendar` at the API: previews keep to trading days and name a year the calendar does not know;
an unknown calendar id is a 422 naming the field, and nothing is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from contracts.commands import ChangeJob
from contracts.commands import CreateJob
from domain.trade_calendar import CN_A_SHARE
from infrastructure.store.sqlite_store import SQLiteStore
from infrastructure.store.sqlite_trade_calendar import SQLiteTradeCalendars
from infrastructure.store.sqlite_users import SQLiteUserStore
from infrastructure.store.trade_calendar_port import CalendarYear
from services.api.app import create_app
from services.api.calendars import ApiCalendars
from services.api.settings import ApiSettings
from tests.api import seed
from tests.api.envelope import accepted
from tests.api.fakes import RecordingBus
from tests.store_writes import put_job

PREVIEW = "/api/scheduler/triggers/preview"
THIS_YEAR = datetime.now(UTC).year
SYNCED = datetime(2026, 12, 1, tzinfo=UTC)


def weekdays_of(year: int) -> frozenset[date]:
    first = date(year, 1, 1)
    days = (first + timedelta(n) for n in range(366))
    return frozenset(day for day in days if day.year == year and day.weekday() < 5)


@pytest.fixture
async def calendar_client(
    tmp_path: Path, settings: ApiSettings, store: SQLiteStore, users: SQLiteUserStore, bus: RecordingBus
) -> AsyncIterator[httpx.AsyncClient]:
    """The API over a calendar that knows this year and the next (weekdays only), and nothing after."""
    stored = SQLiteTradeCalendars(tmp_path / "calendar.sqlite3")
    await stored.open()
    await stored.put_years(
        [
            CalendarYear(CN_A_SHARE, year, weekdays_of(year), "test", SYNCED)
            for year in (THIS_YEAR, THIS_YEAR + 1)
        ]
    )
    await seed.catalogue(store)
    app = create_app(settings=settings, store=store, bus=bus, users=users, trade_calendars=stored)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
        ):
            yield client
    finally:
        await stored.close()


def runs(data: dict[str, Any]) -> list[datetime]:
    return [datetime.fromisoformat(run) for run in data["next_runs"]]


async def test_a_preview_with_the_calendar_keeps_to_trading_days(
    calendar_client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    client = calendar_client
    body = {"trigger": "0 12 * * *", "count": 12, "policy": {"calendar": CN_A_SHARE}}
    response = await client.post(PREVIEW, json=body, headers=viewer)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (
        data["calendar"] == CN_A_SHARE
        and data["calendar_missing_years"] == []
        and data["calendar_note"] is None
    )
    assert len(runs(data)) == 12 and all(run.weekday() < 5 for run in runs(data))
    assert "交易日" in data["description"]
    unlimited = (
        await client.post(PREVIEW, json={"trigger": "0 12 * * *", "count": 12}, headers=viewer)
    ).json()
    assert unlimited["data"]["calendar"] is None
    assert any(run.weekday() >= 5 for run in runs(unlimited["data"])), "without it, every day"


async def test_a_preview_says_which_year_is_missing_in_both_languages(
    calendar_client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    client = calendar_client
    body = {"trigger": "0 12 1 1,7 *", "count": 10, "policy": {"calendar": CN_A_SHARE}}
    chinese = (await client.post(PREVIEW, json=body, headers=viewer)).json()["data"]
    english = (await client.post(PREVIEW, json=body, headers=viewer | {"Accept-Language": "en"})).json()[
        "data"
    ]
    missing = THIS_YEAR + 2
    for data in (chinese, english):
        assert data["calendar_missing_years"] == [missing]
        assert all(run.year <= THIS_YEAR + 1 for run in runs(data)), "nothing guessed in the missing year"
        assert len(runs(data)) < 10
    assert f"{missing}" in chinese["calendar_note"] and "尚无" in chinese["calendar_note"]
    assert f"does not know {missing}" in english["calendar_note"]


@pytest.mark.parametrize("calendar", ["nyse", "", "CN_A_SHARE", 1])
async def test_an_unknown_calendar_is_refused_naming_it(
    client: httpx.AsyncClient,
    bus: RecordingBus,
    admin: dict[str, str],
    viewer: dict[str, str],
    calendar: object,
) -> None:
    body = {
        "id": "news_trading",
        "kind": "news_sync",
        "trigger": "0 * * * *",
        "policy": {"calendar": calendar},
    }
    response = await client.post("/api/scheduler/jobs", json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert "calendar" in str(response.json()["detail"])
    preview = {"trigger": "0 12 * * *", "policy": {"calendar": calendar}}
    assert (await client.post(PREVIEW, json=preview, headers=viewer)).status_code == 422
    assert bus.commands == []


async def test_a_create_and_a_change_carry_the_calendar(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str], store: SQLiteStore
) -> None:
    await seed.catalogue(store)
    body = {
        "id": "news_trading",
        "kind": "news_sync",
        "trigger": "0 * * * *",
        "policy": {"calendar": CN_A_SHARE},
    }
    accepted(await client.post("/api/scheduler/jobs", json=body, headers=admin))
    (created,) = bus.commands
    assert isinstance(created, CreateJob) and created.policy.calendar == CN_A_SHARE
    definition = {"trigger": "0 * * * *", "kwargs": {}, "paused": False, "policy": {"calendar": CN_A_SHARE}}
    await put_job(
        store,
        seed.job(
            "news_trading", job_kind="news_sync", origin="created", definition=definition, incarnation="i1"
        ),
    )
    change = {"policy": {"calendar": "none"}}
    response = await client.patch("/api/scheduler/jobs/news_trading", json=change, headers=admin)
    assert response.status_code < 300, response.text
    assert isinstance(bus.commands[-1], ChangeJob) and bus.commands[-1].policy is not None
    assert bus.commands[-1].policy.calendar == "none"


async def test_the_health_names_a_missing_year_of_a_calendar_in_use(
    calendar_client: httpx.AsyncClient, viewer: dict[str, str], store: SQLiteStore
) -> None:
    client = calendar_client
    health = (await client.get("/api/scheduler/health", headers=viewer)).json()["data"]
    assert health["warnings"] == [], "no job keeps to the calendar yet"
    definition = {"trigger": "0 12 * * *", "policy": {"calendar": CN_A_SHARE}}
    await put_job(store, seed.job("noon_trading", definition=definition))
    health = (await client.get("/api/scheduler/health", headers=viewer)).json()["data"]
    assert health["warnings"] == [], "this year and the next are known"


async def test_calendar_warnings_name_the_year_and_the_jobs() -> None:
    from domain.trade_calendar import TradeCalendar
    from services.api.calendar_health import calendar_warnings

    class OnlyThisYear:
        async def load(self, calendar_id: str) -> TradeCalendar:
            return TradeCalendar(frozenset(), frozenset({2026}), "test")

    definition = {"trigger": "0 12 * * *", "policy": {"calendar": CN_A_SHARE}}
    jobs = [seed.job("noon_trading", definition=definition), seed.job("plain")]
    calendars = ApiCalendars(OnlyThisYear())  # type: ignore[arg-type]
    assert await calendar_warnings(calendars, jobs, date(2026, 11, 1)) == []
    (warning,) = await calendar_warnings(calendars, jobs, date(2026, 12, 3))
    assert "2027" in warning and "noon_trading" in warning and "plain" not in warning
