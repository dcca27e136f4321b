"""Trigger previews: a job's next runs and a trigger text's, with its words in the caller's language."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from datetime import timedelta

import httpx
import pytest

from infrastructure.store.sqlite_store import SQLiteStore
from tests.api import seed
from tests.api.conftest import AppFactory
from tests.api.fakes import RecordingBus
from tests.store_writes import put_job


@pytest.fixture
async def catalogue(store: SQLiteStore) -> None:
    await seed.catalogue(store)
    await put_job(store, seed.job("odd", trigger="date[2026-01-01 09:00:00 CST]"))


def parsed(runs: list[str]) -> list[datetime]:
    return [datetime.fromisoformat(run) for run in runs]


@pytest.mark.usefixtures("catalogue")
async def test_a_jobs_next_runs(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    response = await client.get("/api/scheduler/jobs/quotes/next-runs?count=12", headers=viewer)
    assert response.status_code == 200, response.text
    body = response.json()
    data = body["data"]
    assert body["success"] is True and "quotes" in body["message"]
    assert data["job_id"] == "quotes" and data["paused"] is False
    assert data["trigger"] == "cron[minute='*/5', hour='9-15', day_of_week='mon-fri']"
    assert data["description"] == "工作日 09:00–15:59 每 5 分钟"
    runs = parsed(data["next_runs"])
    assert len(runs) == 12 and runs == sorted(set(runs))
    for run in runs:
        assert run.utcoffset() == timedelta(hours=8), "ISO with the offset"
        assert run.weekday() < 5 and 9 <= run.hour <= 15 and run.minute % 5 == 0
    paused = (await client.get("/api/scheduler/jobs/basics/next-runs", headers=viewer)).json()["data"]
    assert paused["paused"] is True and len(paused["next_runs"]) == 10


@pytest.mark.usefixtures("catalogue")
async def test_next_runs_bad_input(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    assert (await client.get("/api/scheduler/jobs/nope/next-runs", headers=viewer)).status_code == 404
    for count in ("0", "51", "x"):
        response = await client.get(f"/api/scheduler/jobs/quotes/next-runs?count={count}", headers=viewer)
        assert response.status_code == 422 and "count" in response.json()["detail"]
    response = await client.get("/api/scheduler/jobs/odd/next-runs", headers=viewer)
    assert response.status_code == 409 and "date[2026-01-01" in response.json()["detail"]


async def test_preview_of_a_trigger_text_in_both_languages(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    body = {"trigger": "0 16 * * 1-5", "count": 3}
    chinese = (await client.post("/api/scheduler/triggers/preview", json=body, headers=viewer)).json()
    english_headers = viewer | {"Accept-Language": "en"}
    english = (
        await client.post("/api/scheduler/triggers/preview", json=body, headers=english_headers)
    ).json()
    assert chinese["data"]["description"] == "工作日 16:00"
    assert english["data"]["description"] == "weekdays at 16:00"
    assert english["message"] == "Trigger preview: weekdays at 16:00"
    assert chinese["data"]["timezone"] == "Asia/Shanghai"
    runs = parsed(chinese["data"]["next_runs"])
    assert len(runs) == 3 and all(run.strftime("%H:%M%z") == "16:00+0800" for run in runs)


async def test_preview_in_another_zone_shows_each_time_with_its_own_offset(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    body = {"trigger": "30 2 * * *", "count": 50, "timezone": "Europe/Berlin"}
    response = await client.post("/api/scheduler/triggers/preview", json=body, headers=viewer)
    assert response.status_code == 200, response.text
    runs = parsed(response.json()["data"]["next_runs"])
    assert len(runs) == 50 and len({run.date() for run in runs}) == 50, "once a day"
    assert {run.utcoffset() for run in runs} <= {timedelta(hours=1), timedelta(hours=2)}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"trigger": "61 * * * *"}, "minute 61 is outside 0-59"),
        ({"trigger": "0 0 30 2 *"}, "never occurs in feb"),
        ({"trigger": "interval:5"}, "more often than the floor of 10 s"),
        ({"trigger": "every day"}, "expected a 5-field cron expression"),
        ({"trigger": "0 16 * * 1-5", "timezone": "Mars/Olympus"}, "Mars/Olympus"),
        ({"trigger": "0 16 * * 1-5", "timezone": "America"}, "America"),
        ({"trigger": "0 16 * * 1-5", "timezone": "../../etc/passwd"}, "passwd"),
        ({"trigger": "0 16 * * 1-5", "count": 51}, "count"),
        ({"trigger": ""}, "trigger"),
        ({"trigger": "0 16 * * 1-5", "dst": {"repeated": "twice"}}, "repeated"),
    ],
)
async def test_preview_refuses_bad_input_naming_the_problem(
    client: httpx.AsyncClient, viewer: dict[str, str], body: dict[str, object], problem: str
) -> None:
    response = await client.post("/api/scheduler/triggers/preview", json=body, headers=viewer)
    assert response.status_code == 422, response.text
    assert problem in response.json()["detail"]


def test_the_api_imports_no_market_library() -> None:
    """The previews are trigger arithmetic only: the API process does not load pandas or the providers."""
    code = (
        "import sys; import services.api.app; import services.api.routes.triggers; "
        "print(','.join(sorted(m for m in ('pandas', 'akshare', 'tushare', 'baostock') if m in sys.modules)))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert loaded.stdout.strip() == ""


async def test_a_jobs_next_runs_follow_its_own_dst_policy(
    make_client: AppFactory, store: SQLiteStore, viewer: dict[str, str]
) -> None:
    # Sundays of March and October at 02:30 in Berlin: 50 fires span years, with both clock changes in each.
    trigger = "cron[month='3,10', day='*', day_of_week='sun', hour='2', minute='30']"
    await put_job(store, seed.job("usual", trigger=trigger))
    await put_job(store, seed.job("own", trigger=trigger, dst_repeated="every", dst_skipped="skip"))
    async with make_client(RecordingBus(), timezone="Europe/Berlin") as client:
        answers = [
            await client.get(f"/api/scheduler/jobs/{job_id}/next-runs?count=50", headers=viewer)
            for job_id in ("usual", "own")
        ]
    usual, own = (parsed(answer.json()["data"]["next_runs"]) for answer in answers)
    # The default policy shifts the missing 02:30 of spring to 03:00 and fires the repeated one once.
    assert any(run.strftime("%H:%M") == "03:00" for run in usual)
    assert len({run.date() for run in usual}) == len(usual)
    # The job's own: no fire in the skipped hour, one at each 02:30 of the repeated hour.
    assert all(run.strftime("%H:%M") == "02:30" for run in own)
    assert len({run.date() for run in own}) < len(own), "the repeated 02:30 fires twice"
