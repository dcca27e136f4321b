"""Endpoints 1-6 and 13: the job list and detail, metadata, pause, resume, trigger, execution stats."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import httpx
import pytest

from contracts.commands import PauseJob
from contracts.commands import ResumeJob
from contracts.commands import TriggerJob
from contracts.commands import UpdateJobMetadata
from infrastructure.store.sqlite_store import SQLiteStore
from tests.api import seed
from tests.api.envelope import accepted
from tests.api.envelope import assert_iso_with_offset
from tests.api.envelope import error
from tests.api.envelope import ok
from tests.api.fakes import RecordingBus
from tests.store_writes import put_job

pytestmark = pytest.mark.usefixtures("catalogue")


@pytest.fixture
async def catalogue(store: SQLiteStore) -> None:
    await seed.catalogue(store)


async def test_list_jobs_merges_metadata(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    response = await client.get("/api/scheduler/jobs", headers=viewer)
    jobs = ok(response)
    assert response.json()["message"] == "获取到 3 个定时任务"
    assert [job["id"] for job in jobs] == ["basics", "news", "quotes"]
    quotes = jobs[2]
    assert quotes["display_name"] == "行情" and quotes["description"] == "实时行情"
    assert quotes["paused"] is False and quotes["trigger"].startswith("cron[")
    assert quotes["next_run_time"] == "2025-01-06T09:35:00+08:00"
    assert jobs[0]["paused"] is True and "next_run_time" not in jobs[0]  # no value: no key
    assert "display_name" not in jobs[1]


async def test_job_detail(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    job = ok(await client.get("/api/scheduler/jobs/quotes", headers=viewer))
    assert job["id"] == "quotes" and job["name"] == "name of quotes"
    assert job["func"] == "kind.quotes" and job["args"] == [] and job["kwargs"] == {"batch": 500}
    assert job["misfire_grace_time"] == 300 and job["max_instances"] == 1
    assert_iso_with_offset(job["next_run_time"], "+08:00")


async def test_unknown_job_is_404(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    assert "nope" in error(await client.get("/api/scheduler/jobs/nope", headers=viewer), 404)


@pytest.mark.parametrize(("action", "command_type"), [("pause", PauseJob), ("resume", ResumeJob)])
async def test_pause_and_resume_publish_commands(
    client: httpx.AsyncClient,
    bus: RecordingBus,
    admin: dict[str, str],
    action: str,
    command_type: type[PauseJob | ResumeJob],
) -> None:
    response = await client.post(f"/api/scheduler/jobs/quotes/{action}", headers=admin)
    # Nothing projects the recording bus's commands: a pause is not applied within the wait; the resume of
    # a job that is not paused shows at once what was asked.
    data = accepted(response) if action == "pause" else ok(response)
    assert data is None
    [command] = bus.commands
    assert isinstance(command, command_type)
    assert command.job_id == "quotes" and command.actor == "alice" and command.producer == "api"


@pytest.mark.parametrize("action", ["pause", "resume", "trigger"])
async def test_commands_on_unknown_job_are_404_and_not_sent(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str], action: str
) -> None:
    error(await client.post(f"/api/scheduler/jobs/nope/{action}", headers=admin), 404)
    assert bus.published == []


async def test_update_metadata(client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str]) -> None:
    body = {"display_name": "新闻", "description": "每两小时同步新闻"}
    assert accepted(await client.put("/api/scheduler/jobs/news/metadata", json=body, headers=admin)) is None
    [command] = bus.commands
    assert isinstance(command, UpdateJobMetadata)
    assert (command.job_id, command.display_name, command.description) == (
        "news",
        "新闻",
        body["description"],
    )
    assert command.actor == "alice"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"display_name": "名" * 51}, "display_name"), ({"description": "述" * 201}, "description")],
)
async def test_metadata_too_long_is_422_naming_the_field(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str], body: dict[str, str], field: str
) -> None:
    response = await client.put("/api/scheduler/jobs/news/metadata", json=body, headers=admin)
    assert field in error(response, 422)
    assert bus.published == []


async def test_metadata_with_a_misspelt_field_is_422(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str]
) -> None:
    body = {"display-name": "x"}
    response = await client.put("/api/scheduler/jobs/news/metadata", json=body, headers=admin)
    assert "display-name" in error(response, 422)
    assert bus.published == []


async def test_metadata_at_the_limits_is_accepted(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    body = {"display_name": "名" * 50, "description": "述" * 200}
    accepted(await client.put("/api/scheduler/jobs/news/metadata", json=body, headers=admin))


@pytest.mark.parametrize("body", [{}, {"display_name": None, "description": None}])
async def test_metadata_without_any_field_changes_nothing(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str], body: dict[str, None]
) -> None:
    assert ok(await client.put("/api/scheduler/jobs/news/metadata", json=body, headers=admin)) is None
    assert bus.published == []


async def test_metadata_of_unknown_job_is_404(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    body = {"display_name": "x"}
    error(await client.put("/api/scheduler/jobs/nope/metadata", json=body, headers=admin), 404)


async def test_trigger_answers_the_execution_id_it_published(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str]
) -> None:
    data = accepted(await client.post("/api/scheduler/jobs/quotes/trigger", headers=admin))
    [command] = bus.commands
    assert isinstance(command, TriggerJob)
    assert data == {"execution_id": command.execution_id, "scheduled_time": None}
    assert len(command.execution_id) == 32
    assert (command.job_id, command.kwargs, command.force, command.actor) == ("quotes", {}, False, "alice")


async def test_trigger_with_kwargs_and_force(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str], store: SQLiteStore
) -> None:
    await put_job(store, seed.job("history", job_kind="akshare_historical_sync"))
    body = {"kwargs": {"symbols": ["600000", "000001"], "limit": 3}}
    response = await client.post(
        "/api/scheduler/jobs/history/trigger", params={"force": "true"}, json=body, headers=admin
    )
    accepted(response)
    assert "强制" in response.json()["message"]
    [command] = bus.commands
    assert isinstance(command, TriggerJob)
    assert command.kwargs == body["kwargs"] and command.force is True


@pytest.mark.parametrize("content", [None, "null", "{}", '{"kwargs": null}'])
async def test_trigger_without_kwargs(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str], content: str | None
) -> None:
    headers = {**admin, "Content-Type": "application/json"}
    accepted(await client.post("/api/scheduler/jobs/quotes/trigger", content=content, headers=headers))
    [command] = bus.commands
    assert isinstance(command, TriggerJob) and command.kwargs == {}


async def test_trigger_of_a_paused_job_is_allowed(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str]
) -> None:
    accepted(await client.post("/api/scheduler/jobs/basics/trigger", json={}, headers=admin))
    assert [type(command) for command in bus.commands] == [TriggerJob]


async def test_two_triggers_get_two_execution_ids(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    first = accepted(await client.post("/api/scheduler/jobs/quotes/trigger", headers=admin))
    second = accepted(await client.post("/api/scheduler/jobs/quotes/trigger", headers=admin))
    assert first["execution_id"] != second["execution_id"]


@pytest.mark.parametrize(
    ("params", "content", "name"),
    [
        ({"force": "maybe"}, None, "force"),
        ({}, json.dumps({"kwargs": [1, 2]}), "kwargs"),
        ({}, json.dumps({"kwargs": "text"}), "kwargs"),
        ({}, "{not json", "请求体"),
        ({}, json.dumps([1, 2, 3]), "请求体"),
        ({}, json.dumps({"kwarg": {"days": 3}}), "kwarg"),
    ],
)
async def test_bad_trigger_input_is_422(
    client: httpx.AsyncClient,
    bus: RecordingBus,
    admin: dict[str, str],
    params: dict[str, str],
    content: str | None,
    name: str,
) -> None:
    headers = {**admin, "Content-Type": "application/json"}
    response = await client.post(
        "/api/scheduler/jobs/quotes/trigger", params=params, content=content, headers=headers
    )
    assert name in error(response, 422)
    assert bus.published == []


async def test_a_trigger_with_run_at_plans_a_one_off_run(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str]
) -> None:
    run_at = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    body = {"run_at": run_at.isoformat(), "kwargs": {}}
    response = await client.post("/api/scheduler/jobs/quotes/trigger", json=body, headers=admin)
    data = accepted(response)
    [command] = bus.commands
    assert isinstance(command, TriggerJob) and command.run_at == run_at
    assert data["execution_id"] == command.execution_id
    assert_iso_with_offset(data["scheduled_time"])
    assert datetime.fromisoformat(data["scheduled_time"]) == run_at


@pytest.mark.parametrize(
    ("run_at", "name"),
    [
        ("2020-01-01T09:30:00+08:00", "不在未来"),
        ("3000-01-01T09:30:00+08:00", "超过一年"),
        ("2030-01-01T09:30:00", "run_at"),  # no offset
        ("tomorrow", "run_at"),
    ],
)
async def test_a_bad_run_at_is_422(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str], run_at: str, name: str
) -> None:
    response = await client.post("/api/scheduler/jobs/quotes/trigger", json={"run_at": run_at}, headers=admin)
    assert name in error(response, 422)
    assert bus.published == []


async def test_oversized_trigger_body_is_413(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str]
) -> None:
    body = {"kwargs": {"blob": "x" * (65 * 1024)}}
    response = await client.post("/api/scheduler/jobs/quotes/trigger", json=body, headers=admin)
    error(response, 413)
    assert bus.published == []


async def test_overlong_job_id_is_422(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    assert "job_id" in error(await client.get("/api/scheduler/jobs/" + "j" * 201, headers=viewer), 422)


async def test_execution_stats(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    stats = ok(await client.get("/api/scheduler/jobs/quotes/execution-stats", headers=viewer))
    assert (stats["total"], stats["success"], stats["failed"], stats["missed"]) == (5, 1, 1, 1)
    assert stats["avg_execution_time"] == 10.0
    last = stats["last_execution"]
    assert last["status"] == "queued"
    assert last["timestamp"] == "2025-01-06T09:35:00+08:00"


async def test_execution_stats_of_a_job_without_runs(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    stats = ok(await client.get("/api/scheduler/jobs/basics/execution-stats", headers=viewer))
    assert stats["total"] == 0 and stats["avg_execution_time"] == 0 and "last_execution" not in stats
