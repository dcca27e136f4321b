"""Fixtures for the port suites: every bus test runs against the in-memory bus and a real RabbitMQ.

RabbitMQ tests run in a virtual host of their own, created for the test session and deleted after it, so
they never see production queues; every queue in it is deleted before each test, so tests never see each
other's messages. Without a reachable broker the RabbitMQ tests are skipped, except on CI (`CI=true`),
where they fail: an integration suite that silently skips proves nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from infrastructure.bus.memory_bus import InMemoryBus
from infrastructure.bus.port import Bus
from infrastructure.bus.rabbitmq_bus import RabbitMQBus
from tests.rabbitmq import RabbitMQVhost
from tests.rabbitmq import delete_all_queues


@dataclass
class BusMaker:
    """Starts buses of one adapter and closes them all after the test."""

    adapter: str
    make: Callable[..., Bus]
    """Makes an unstarted bus; keyword options go to the adapter (e.g. RabbitMQ's `reconnect_interval`)."""
    started: list[Bus]
    vhost: RabbitMQVhost | None = None

    async def __call__(self, **options: Any) -> Bus:
        bus = self.make(**options)
        await bus.start()
        self.started.append(bus)
        return bus


async def _rabbitmq_maker(request: pytest.FixtureRequest, started: list[Bus]) -> BusMaker:
    vhost: RabbitMQVhost = request.getfixturevalue("rabbitmq_vhost")
    await delete_all_queues(vhost)
    test_name = request.node.name

    def make(**options: Any) -> Bus:
        return RabbitMQBus(
            vhost.url, connection_name=f"test {test_name}", **{"reconnect_interval": 0.5, **options}
        )

    return BusMaker("rabbitmq", make, started, vhost)


@pytest.fixture(
    params=[
        pytest.param("memory", id="memory"),
        pytest.param("rabbitmq", id="rabbitmq", marks=pytest.mark.integration),
    ]
)
async def bus_maker(request: pytest.FixtureRequest) -> AsyncIterator[BusMaker]:
    """Makes started buses of the parametrised adapter; RabbitMQ ones in a vhost emptied for this test."""
    started: list[Bus] = []
    if request.param == "memory":
        maker = BusMaker("memory", InMemoryBus, started)
    else:
        maker = await _rabbitmq_maker(request, started)
    try:
        yield maker
    finally:
        for bus in started:
            await bus.close()


@pytest.fixture
async def rabbitmq_maker(request: pytest.FixtureRequest) -> AsyncIterator[BusMaker]:
    """For what only a broker can show (durability, reconnection); tests using it are `integration`."""
    started: list[Bus] = []
    maker = await _rabbitmq_maker(request, started)
    try:
        yield maker
    finally:
        for bus in started:
            await bus.close()


@pytest.fixture
async def bus(bus_maker: BusMaker) -> Bus:
    """One started bus of the parametrised adapter."""
    return await bus_maker()
