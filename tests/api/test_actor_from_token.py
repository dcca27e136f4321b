"""The actor of every command is the signed-in user of the verified token, never a field a client sets:
a body, query or header naming another actor is refused or ignored, on every command route."""

from __future__ import annotations

import httpx
import pytest

from infrastructure.store.sqlite_store import SQLiteStore
from tests.api import seed
from tests.api.conftest import ADMIN
from tests.api.fakes import RecordingBus
from tests.api.test_auth import MUTATIONS
from tests.store_writes import put_job

FORGED = "mallory"


@pytest.fixture
async def catalogue(store: SQLiteStore) -> None:
    await seed.catalogue(store)


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(("method", "path", "body"), MUTATIONS)
async def test_the_actor_comes_from_the_token(
    client: httpx.AsyncClient,
    bus: RecordingBus,
    admin: dict[str, str],
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    forged_headers = {**admin, "X-Actor": FORGED, "X-Forwarded-User": FORGED, "X-Remote-User": FORGED}
    forged_query = {"actor": FORGED, "producer": FORGED, "wait": "false"}  # nothing projects here
    response = await client.request(method, path, json=body, params=forged_query, headers=forged_headers)
    assert response.status_code == 202, response.text
    [command] = bus.commands
    assert command.actor == ADMIN and FORGED not in command.model_dump_json()


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(("method", "path", "body"), [m for m in MUTATIONS if m[2] is not None])
async def test_an_actor_field_in_a_body_is_refused(
    client: httpx.AsyncClient,
    bus: RecordingBus,
    admin: dict[str, str],
    method: str,
    path: str,
    body: dict[str, str],
) -> None:
    response = await client.request(method, path, json={**body, "actor": FORGED}, headers=admin)
    assert response.status_code == 422 and "actor" in response.json()["detail"]
    assert bus.published == []


@pytest.mark.usefixtures("catalogue")
async def test_a_trigger_cannot_smuggle_an_actor_in_its_kwargs(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str], store: SQLiteStore
) -> None:
    await put_job(store, seed.job("history", job_kind="akshare_historical_sync"))
    body = {"kwargs": {"actor": FORGED}}
    response = await client.post("/api/scheduler/jobs/history/trigger", json=body, headers=admin)
    assert response.status_code == 422 and "unknown parameter actor" in response.json()["detail"]
    assert bus.published == []
