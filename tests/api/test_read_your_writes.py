"""Read your writes: a command answers once the reads show its effect (bounded), in one process."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from infrastructure.store.sqlite_store import SQLiteStore
from services.api.app import create_app
from services.embedded.system import EmbeddedSystem
from tests.api import seed
from tests.api.conftest import ADMIN
from tests.api.conftest import PASSWORD
from tests.api.conftest import SECRET
from tests.api.conftest import AppFactory
from tests.api.envelope import accepted
from tests.api.envelope import error
from tests.api.fakes import RecordingBus
from tests.client_replay import replay_the_client
from tests.jobs import embedded_settings
from tests.waiting import wait_until


@pytest.fixture
async def embedded_client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The API over the whole system in this process (in-process bus, SQLite file), as `make run`."""
    settings = embedded_settings(
        data_dir=tmp_path,
        jwt_secret=SECRET,
        admin_username=ADMIN,
        admin_password=PASSWORD,
        worker_capacity=1,
        heartbeat_interval_s=0.2,
    )
    system = EmbeddedSystem(settings)
    await system.start()
    app = create_app(settings=settings, store=system.store, bus=system.bus, users=system.users)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client,
        ):
            login = await client.post("/api/auth/login", json={"username": ADMIN, "password": PASSWORD})
            assert login.status_code == 200, login.text
            client.headers["Authorization"] = f"Bearer {login.json()['data']['access_token']}"
            await wait_until(lambda: system.store.get_job("pipeline_canary"), message="the canary listed")
            yield client
    finally:
        await system.stop()


async def test_the_client_reload_after_each_command_shows_its_effect(
    embedded_client: httpx.AsyncClient,
) -> None:
    await replay_the_client(embedded_client)


async def test_wait_false_answers_at_once_with_where_to_look(embedded_client: httpx.AsyncClient) -> None:
    response = await embedded_client.post(
        "/api/scheduler/jobs/pipeline_canary/resume", params={"wait": "false"}
    )
    assert accepted(response) is None
    assert response.headers["location"] == "/api/scheduler/jobs/pipeline_canary"


@pytest.mark.parametrize("wait", ["maybe", "2s", ""])
async def test_a_wait_that_cannot_be_read_is_422_and_sends_nothing(
    make_client: AppFactory, bus: RecordingBus, admin: dict[str, str], wait: str
) -> None:
    async with make_client(bus) as client:
        response = await client.post("/api/scheduler/jobs/quotes/pause", params={"wait": wait}, headers=admin)
    assert "wait" in error(response, 422)
    assert bus.published == []


async def test_a_client_that_never_reads_its_answer_sends_the_command_once(
    make_client: AppFactory, store: SQLiteStore, admin: dict[str, str]
) -> None:
    """The caller goes away while the answer waits for the effect: the command is out, once, and stays so."""
    await seed.catalogue(store)
    bus = RecordingBus()
    async with make_client(bus, command_wait_s=5.0) as client:
        call = asyncio.create_task(client.post("/api/scheduler/jobs/quotes/trigger", headers=admin))
        await wait_until(lambda: len(bus.commands) == 1, message="the trigger published")
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)
        response = await client.get("/api/scheduler/executions", headers=admin)
    assert response.status_code == 200
    assert [command.type for command in bus.commands] == ["TriggerJob"]
