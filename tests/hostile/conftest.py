"""The whole system in this process behind its HTTP API, on the in-memory bus and on a real RabbitMQ (a
throw-away virtual host), for the hostile-input tests: what an attacker or a careless admin sends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr

from services.api.app import create_app
from services.api.auth import new_user
from services.embedded.system import EmbeddedSystem
from tests.jobs import embedded_settings
from tests.rabbitmq import RabbitMQVhost
from tests.rabbitmq import _new_vhost
from tests.waiting import wait_until

SECRET = "hostile-tests-secret-" + "k" * 40
ADMIN = "admin"
PASSWORD = "a-long-enough-password"
CANARY = "pipeline_canary"


@dataclass
class Stack:
    system: EmbeddedSystem
    client: httpx.AsyncClient
    admin: dict[str, str]


@pytest.fixture(scope="module", params=["memory", pytest.param("rabbitmq", marks=pytest.mark.integration)])
def bus_kind(request: pytest.FixtureRequest) -> Iterator[tuple[str, RabbitMQVhost | None]]:
    if request.param == "memory":
        yield "memory", None
    else:
        yield from (("rabbitmq", vhost) for vhost in _new_vhost())


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(
    tmp_path_factory: pytest.TempPathFactory, bus_kind: tuple[str, RabbitMQVhost | None]
) -> AsyncIterator[Stack]:
    """One running system per module and bus (its tests run on the module's event loop)."""
    kind, vhost = bus_kind
    settings = embedded_settings(
        data_dir=tmp_path_factory.mktemp(f"hostile-{kind}"),
        bus=kind,
        rabbitmq_url=SecretStr(vhost.url if vhost else "amqp://unused/"),
        store="sqlite",
        jwt_secret=SECRET,
        heartbeat_interval_s=0.2,
        worker_capacity=2,
    )
    system = EmbeddedSystem(settings)
    await system.start()
    try:
        await system.users.put_user(new_user(ADMIN, PASSWORD, "admin"))
        app = create_app(settings=settings, store=system.store, bus=system.bus, users=system.users)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
        ):
            await wait_until(lambda: _registered(system), timeout=20, message="the canary registered")
            login = await client.post("/api/auth/login", data={"username": ADMIN, "password": PASSWORD})
            assert login.status_code == 200, login.text
            yield Stack(system, client, {"Authorization": f"Bearer {login.json()['access_token']}"})
    finally:
        await system.stop()


async def _registered(system: EmbeddedSystem) -> bool:
    return await system.store.get_job(CANARY) is not None
