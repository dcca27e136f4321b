"""Jobs as data: kinds, create, change, delete, reset. Each bad input is a 4xx naming the reason and sends
nothing (the previous definition stays); good input sends one command. Nothing projects the recording
bus: what the scheduler and the projector make of the commands is in `tests/slice/test_job_definitions.py`.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from contracts.commands import ChangeJob
from contracts.commands import CreateJob
from contracts.commands import DeleteJob
from contracts.commands import ResetJob
from infrastructure.store.sqlite_store import SQLiteStore
from services.api.settings import ApiSettings
from tests.api import seed
from tests.api.envelope import accepted
from tests.api.envelope import error
from tests.api.envelope import ok
from tests.api.fakes import RecordingBus
from tests.store_writes import put_execution
from tests.store_writes import put_job

JOBS = "/api/scheduler/jobs"
CREATED = "news_hourly"
DEFINITION = {
    "trigger": "0 * * * *",
    "kwargs": {"limit": 50},
    "display_name": "新闻（每小时）",
    "description": None,
    "paused": False,
    "policy": {
        "overlap": "skip",
        "max_concurrent": 1,
        "misfire_grace_time": 300,
        "catch_up": "skip",
        "max_attempts": 1,
        "retry_backoff_s": 30.0,
        "timeout_s": None,
        "pool": "default",
    },
}
BODY = {
    "id": CREATED,
    "kind": "news_sync",
    "trigger": "0 * * * *",
    "kwargs": {"limit": 50},
    "display_name": "新闻（每小时）",
}


@pytest.fixture(autouse=True)
async def jobs(store: SQLiteStore) -> None:
    await seed.catalogue(store)
    await put_job(
        store,
        seed.job(
            CREATED,
            job_kind="news_sync",
            kwargs={"limit": 50},
            origin="created",
            job_version=3,
            definition=DEFINITION,
            incarnation="i1",
            created_by="alice",
        ),
    )
    await put_job(store, seed.job("news_sync", job_kind="news_sync", kwargs={}))


def validation(response: httpx.Response) -> str:
    assert response.status_code == 422, response.text
    return str(response.json()["detail"])


async def test_kinds_list_every_kind_with_its_schema(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    kinds = {kind["kind"]: kind for kind in ok(await client.get("/api/scheduler/kinds", headers=viewer))}
    assert len(kinds) == 20 and {"pipeline_canary", "market_daily_review", "news_sync"} <= set(kinds)
    history = kinds["akshare_historical_sync"]
    assert history["takes_date_range"] is True and history["source"] == "akshare"
    assert "start_date" in history["schema"]["properties"] and history["default_trigger"] == "0 17 * * 1-5"
    assert history["default_policy"]["overlap"] == "skip" and history["display_name"]
    assert kinds["pipeline_canary"]["takes_date_range"] is True
    assert kinds["market_daily_review"]["takes_date_range"] is True
    assert kinds["news_sync"]["takes_date_range"] is False


async def test_a_create_sends_one_command(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str]
) -> None:
    body = {"id": "news_twice", "kind": "news_sync", "trigger": "0 */2 * * *", "policy": {"max_attempts": 3}}
    accepted(await client.post(JOBS, json=body, headers=admin))
    (command,) = bus.commands
    assert isinstance(command, CreateJob) and command.job_id == "news_twice" and command.actor == "alice"
    assert command.policy.max_attempts == 3 and command.trigger == "0 */2 * * *"


async def test_a_create_sent_again_answers_the_job(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str]
) -> None:
    job = ok(await client.post(JOBS, json=BODY, headers=admin))
    assert job["id"] == CREATED and job["version"] == 3 and job["origin"] == "created"
    assert bus.commands == []
    other = {**BODY, "trigger": "30 * * * *"}
    assert CREATED in error(await client.post(JOBS, json=other, headers=admin), 409)
    assert bus.commands == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"kind": "no_such_kind"}, "unknown kind"),
        ({"id": "X"}, "id"),
        ({"id": "ab"}, "id"),
        ({"id": "1abc"}, "id"),
        ({"trigger": "61 * * * *"}, "minute 61 is outside 0-59"),
        ({"trigger": "0 0 30 2 *"}, "never"),
        ({"trigger": "interval:5"}, "floor"),
        ({"trigger": "* * * * * *"}, "trigger"),
        ({"kwargs": {"nope": 1}}, "unknown parameter nope"),
        ({"kwargs": {"limit": "many"}}, "limit"),
        ({"policy": {"overlap": "sometimes"}}, "overlap"),
        ({"policy": {"max_attempts": 0}}, "max_attempts"),
        ({"extra": 1}, "extra"),
    ],
)
async def test_bad_creates_are_422_naming_the_reason(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str], change: dict[str, Any], reason: str
) -> None:
    body = {**BODY, "id": "news_new"} | change
    assert reason in validation(await client.post(JOBS, json=body, headers=admin))
    assert bus.commands == []


async def test_a_taken_id_and_the_cap_are_409(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str], settings: ApiSettings
) -> None:
    taken = {**BODY, "id": "quotes"}
    assert "quotes" in error(await client.post(JOBS, json=taken, headers=admin), 409)
    settings.max_jobs = 5  # three seeded catalogue jobs, news_sync and the created one
    assert "5" in error(await client.post(JOBS, json={**BODY, "id": "news_new"}, headers=admin), 409)
    assert bus.commands == []


async def test_a_change_needs_the_current_version(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str]
) -> None:
    path = f"{JOBS}/{CREATED}"
    response = await client.get(f"{path}/definition", headers=admin)
    assert ok(response)["version"] == 3 and response.headers["etag"] == '"3"'
    stale = await client.patch(path, json={"trigger": "30 * * * *"}, headers=admin | {"If-Match": '"2"'})
    assert "3" in error(stale, 412)
    assert bus.commands == []
    fresh = await client.patch(path, json={"trigger": "30 * * * *"}, headers=admin | {"If-Match": '"3"'})
    accepted(fresh)
    (command,) = bus.commands
    assert (
        isinstance(command, ChangeJob) and command.expected_version == 3 and command.trigger == "30 * * * *"
    )


@pytest.mark.parametrize(
    ("change", "reason", "status"),
    [
        ({"trigger": "0 61 * * *"}, "hour 61", 422),
        ({"trigger": "0 0 31 4 *"}, "never", 422),
        ({"kwargs": {"start_date": "2024-01-01"}}, "unknown parameter start_date", 422),
        ({"kind": "akshare_news"}, "kind", 422),
        ({"id": "other"}, "id", 422),
    ],
)
async def test_bad_changes_are_refused(
    client: httpx.AsyncClient,
    bus: RecordingBus,
    admin: dict[str, str],
    change: dict[str, Any],
    reason: str,
    status: int,
) -> None:
    response = await client.patch(f"{JOBS}/{CREATED}", json=change, headers=admin)
    assert response.status_code == status and reason in response.text, response.text
    assert bus.commands == []


async def test_a_change_that_changes_nothing_sends_nothing(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str]
) -> None:
    job = ok(await client.patch(f"{JOBS}/{CREATED}", json={"trigger": "0 * * * *"}, headers=admin))
    assert job["version"] == 3 and bus.commands == []


async def test_delete_rules(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str], store: SQLiteStore
) -> None:
    assert "请暂停它" in error(await client.delete(f"{JOBS}/quotes", headers=admin), 409)
    english = admin | {"Accept-Language": "en"}
    assert "pause it instead" in error(await client.delete(f"{JOBS}/quotes", headers=english), 409)
    assert "nope" in error(await client.delete(f"{JOBS}/nope", headers=admin), 404)
    await put_execution(store, seed.execution("e-live", CREATED, status="running"))
    assert "cancel_running" in error(await client.delete(f"{JOBS}/{CREATED}", headers=admin), 409)
    assert bus.commands == []
    accepted(await client.delete(f"{JOBS}/{CREATED}?cancel_running=true", headers=admin))
    (command,) = bus.commands
    assert isinstance(command, DeleteJob) and command.cancel_running


async def test_a_deleted_job_is_gone_but_its_runs_stay(
    client: httpx.AsyncClient, admin: dict[str, str], store: SQLiteStore
) -> None:
    await put_execution(store, seed.execution("e-old", CREATED))
    job = await store.get_job(CREATED)
    assert job is not None
    await put_job(store, job.model_copy(update={"deleted": True, "job_version": 4}))
    listed = ok(await client.get(JOBS, headers=admin))
    assert CREATED not in [item["id"] for item in listed]
    error(await client.get(f"{JOBS}/{CREATED}", headers=admin), 404)
    assert ok(await client.get("/api/scheduler/executions/e-old", headers=admin))["job_id"] == CREATED


async def test_reset_is_for_catalogue_jobs(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str]
) -> None:
    assert CREATED in error(await client.post(f"{JOBS}/{CREATED}/reset", headers=admin), 409)
    accepted(await client.post(f"{JOBS}/news_sync/reset", headers=admin))
    (command,) = bus.commands
    assert isinstance(command, ResetJob) and command.job_id == "news_sync"
