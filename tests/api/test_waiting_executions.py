"""A fire waiting for its upstream jobs (`policy.after`) in the API: listed and filtered `waiting`, with
what it waits for and until when, labelled in both languages, and cancellable like a queued run."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from contracts.commands import CancelExecution
from infrastructure.store.sqlite_store import SQLiteStore
from tests.api import seed
from tests.api.envelope import ok
from tests.api.fakes import RecordingBus
from tests.store_writes import put_execution

EXECUTIONS = "/api/scheduler/executions"


@pytest.fixture(autouse=True)
async def waiting(store: SQLiteStore) -> None:
    await seed.catalogue(store)
    await put_execution(
        store,
        seed.execution(
            "e-waiting",
            status="waiting",
            minutes=7,
            waiting_for=["news"],
            wait_until=seed.T0 + timedelta(hours=2),
        ),
    )


async def test_a_waiting_fire_is_listed_and_filtered_with_what_it_waits_for(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    page = ok(await client.get(EXECUTIONS, params={"status": "waiting"}, headers=viewer))
    (item,) = page["items"]
    assert item["_id"] == "e-waiting" and item["status"] == "waiting" and item["status_text"] == "等待上游"
    assert item["waiting_for"] == ["news"] and item["wait_until"] == "2025-01-06T11:30:00+08:00"
    english = ok(
        await client.get(EXECUTIONS, params={"status": "waiting"}, headers=viewer | {"Accept-Language": "en"})
    )
    assert english["items"][0]["status_text"] == "Waiting for upstream jobs"
    statuses = {
        entry["status"]: entry for entry in ok(await client.get("/api/scheduler/statuses", headers=viewer))
    }
    assert statuses["waiting"]["final"] is False and statuses["waiting"]["original"] == "running"
    schema = (await client.get("/openapi.json")).json()
    parameters = schema["paths"][EXECUTIONS]["get"]["parameters"]
    status = next(parameter for parameter in parameters if parameter["name"] == "status")
    assert "waiting" in str(status["schema"])


async def test_a_waiting_fire_can_be_cancelled(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str]
) -> None:
    response = await client.post(f"{EXECUTIONS}/e-waiting/cancel", params={"wait": "false"}, headers=admin)
    assert response.status_code == 202, response.text
    (command,) = bus.commands
    assert isinstance(command, CancelExecution) and command.execution_id == "e-waiting"
