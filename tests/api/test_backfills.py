"""Backfill routes: a request becomes one `RequestBackfill` with the range's trading days; each bad input
is a 4xx naming its field and the reason; the same request sent again makes one backfill; the list, the
detail with its runs, and cancel."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Any

import httpx
import pytest

from contracts.commands import CancelBackfill
from contracts.commands import RequestBackfill
from contracts.events import BackfillRequested
from contracts.events import RunQueued
from contracts.events import backfill_execution_id
from domain.read_model import ReadModelView
from domain.read_model import fold_events
from infrastructure.store.sqlite_store import SQLiteStore
from tests.api import seed
from tests.api.envelope import accepted
from tests.api.envelope import error
from tests.api.envelope import ok
from tests.api.fakes import RecordingBus
from tests.store_writes import put_job

CANARY = "pipeline_canary"
URL = f"/api/scheduler/jobs/{CANARY}/backfill"
JANUARY_FIRST_WEEK = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]  # 2024-01-01: New Year


@pytest.fixture(autouse=True)
async def jobs(store: SQLiteStore) -> None:
    await seed.catalogue(store)
    await put_job(store, seed.job(CANARY, job_kind=CANARY, kwargs={}))


def body(**fields: Any) -> dict[str, Any]:
    return {"start_date": "2024-01-01", "end_date": "2024-01-07", **fields}


async def project_request(store: SQLiteStore, command: RequestBackfill) -> None:
    """What the scheduler and the projector would make of the command."""
    event = BackfillRequested(
        producer="test",
        job_id=command.job_id,
        backfill_id=command.backfill_id,
        start_date=command.start_date,
        end_date=command.end_date,
        days=command.days,
        max_parallel=command.max_parallel,
        kwargs=command.kwargs,
        actor=command.actor,
    )
    queued = RunQueued(
        producer="test",
        job_id=command.job_id,
        execution_id=backfill_execution_id(command.backfill_id, command.days[0]),
        job_name="canary",
        scheduled_time=datetime.now(UTC),
        is_manual=True,
    )
    await store.apply_changes(fold_events(ReadModelView(), [event, queued]))


async def test_a_backfill_request_sends_the_trading_days(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str]
) -> None:
    response = await client.post(URL, json=body(max_parallel=2, kwargs={"duration_s": 0}), headers=admin)
    accepted(response)
    [command] = bus.commands
    assert isinstance(command, RequestBackfill)
    assert list(command.days) == JANUARY_FIRST_WEEK
    assert command.max_parallel == 2 and command.kwargs == {"duration_s": 0} and command.actor == "alice"
    assert command.backfill_id.startswith("bf")


async def test_the_same_request_again_makes_one_backfill(
    client: httpx.AsyncClient, bus: RecordingBus, store: SQLiteStore, admin: dict[str, str]
) -> None:
    headers = {**admin, "Idempotency-Key": "january-1"}
    accepted(await client.post(URL, json=body(), headers=headers))
    [command] = bus.commands
    assert isinstance(command, RequestBackfill)
    await project_request(store, command)
    again = ok(await client.post(URL, json=body(), headers=headers))
    assert again["backfill_id"] == command.backfill_id and again["total"] == 4
    assert len(bus.commands) == 1
    accepted(await client.post(URL, json=body(), headers=admin))  # no key: another request
    assert len(bus.commands) == 2
    second = bus.commands[-1]
    assert isinstance(second, RequestBackfill) and second.backfill_id != command.backfill_id
    await project_request(store, second)
    same = ok(await client.post(URL, json=body(), headers=admin))  # the same body, the first still active
    assert same["backfill_id"] == second.backfill_id and len(bus.commands) == 2


async def test_list_detail_and_cancel(
    client: httpx.AsyncClient,
    bus: RecordingBus,
    store: SQLiteStore,
    admin: dict[str, str],
    viewer: dict[str, str],
) -> None:
    accepted(await client.post(URL, json=body(), headers=admin))
    [command] = bus.commands
    assert isinstance(command, RequestBackfill)
    await project_request(store, command)
    page = ok(await client.get("/api/scheduler/backfills", headers=viewer))
    assert page["total"] == 1 and page["backfills"][0]["backfill_id"] == command.backfill_id
    detail = ok(await client.get(f"/api/scheduler/backfills/{command.backfill_id}", headers=viewer))
    assert (detail["status"], detail["total"], detail["running"], detail["pending"]) == ("running", 4, 1, 3)
    assert [run["day"] for run in detail["runs"]] == JANUARY_FIRST_WEEK
    assert detail["runs"][0]["status"] == "queued" and detail["runs"][1]["status"] == "pending"
    assert detail["runs"][0]["execution_id"] == backfill_execution_id(command.backfill_id, "2024-01-02")
    cancel = f"/api/scheduler/backfills/{command.backfill_id}/cancel"
    error(await client.post(cancel, headers=viewer), 403)
    accepted(await client.post(cancel, headers=admin))
    assert isinstance(bus.commands[-1], CancelBackfill)
    error(await client.get("/api/scheduler/backfills/bf" + "0" * 32, headers=viewer), 404)


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"start_date": "2024-01-08", "end_date": "2024-01-02"}, "end_date", "早于"),
        ({"start_date": "2005-01-04", "end_date": "2016-01-04"}, "end_date", "十年"),
        ({"start_date": "2024-02-30"}, "start_date", "YYYY-MM-DD"),
        ({"end_date": "yesterday"}, "end_date", "YYYY-MM-DD"),
        (
            {"start_date": "2024-02-10", "end_date": "2024-02-17"},
            "start_date",
            "没有交易日",
        ),  # Spring Festival
        ({"end_date": "2031-01-07"}, "end_date", "2027"),  # beyond the calendar
        ({"max_parallel": 0}, "max_parallel", "超出范围"),
        ({"max_parallel": 99}, "max_parallel", "超出范围"),
        ({"kwargs": {"nonsense": 1}}, "kwargs", "nonsense"),
    ],
)
async def test_a_bad_backfill_is_422_naming_the_field(
    client: httpx.AsyncClient,
    bus: RecordingBus,
    admin: dict[str, str],
    fields: dict[str, Any],
    field: str,
    reason: str,
) -> None:
    response = await client.post(URL, json=body(**fields), headers=admin)
    assert response.status_code == 422, response.text
    assert field in response.text and reason in response.text
    assert bus.published == []


async def test_a_kind_without_a_date_range_cannot_be_backfilled(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str]
) -> None:
    response = await client.post("/api/scheduler/jobs/quotes/backfill", json=body(), headers=admin)
    assert response.status_code == 422 and "job_id" in response.text and "日期范围" in response.text
    assert bus.published == []


async def test_more_active_backfills_than_the_cap_is_409(
    make_client: Any, bus: RecordingBus, store: SQLiteStore, admin: dict[str, str]
) -> None:
    async with make_client(bus, max_active_backfills=1) as client:
        accepted(await client.post(URL, json=body(), headers=admin))
        [command] = bus.commands
        assert isinstance(command, RequestBackfill)
        await project_request(store, command)
        assert "上限" in error(await client.post(URL, json=body(end_date="2024-01-09"), headers=admin), 409)
        assert len(bus.commands) == 1


async def test_only_an_admin_asks_for_a_backfill(
    client: httpx.AsyncClient, bus: RecordingBus, viewer: dict[str, str]
) -> None:
    error(await client.post(URL, json=body(), headers=viewer), 403)
    assert bus.published == []
