"""The command endpoints and the live stream once against a real RabbitMQ (a vhost of this session)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from collections.abc import Awaitable
from collections.abc import Callable

import pytest

from contracts.commands import UpdateJobMetadata
from contracts.envelope import Command
from contracts.envelope import Message
from contracts.events import JobPaused
from contracts.topology import COMMANDS
from infrastructure.bus.port import Bus
from infrastructure.bus.rabbitmq_bus import RabbitMQBus
from infrastructure.store.sqlite_store import SQLiteStore
from services.api import presets
from services.api.settings import ApiSettings
from tests.api import seed
from tests.api.conftest import ADMIN
from tests.api.conftest import AppFactory
from tests.api.conftest import app_of
from tests.api.sse import SSEConnection
from tests.api.test_auth import MUTATIONS
from tests.rabbitmq import RabbitMQVhost
from tests.rabbitmq import delete_all_queues
from tests.store_writes import put_job
from tests.waiting import wait_until

pytestmark = pytest.mark.integration
BusMaker = Callable[[], Awaitable[Bus]]


@pytest.fixture
async def rabbitmq_maker(rabbitmq_vhost: RabbitMQVhost) -> AsyncIterator[BusMaker]:
    """Started RabbitMQ buses in this session's vhost, emptied first; all closed after the test."""
    await delete_all_queues(rabbitmq_vhost)
    started: list[Bus] = []

    async def make() -> Bus:
        bus = RabbitMQBus(rabbitmq_vhost.url, connection_name="test api", reconnect_interval=0.5)
        await bus.start()
        started.append(bus)
        return bus

    try:
        yield make
    finally:
        for bus in started:
            await bus.close()


async def test_commands_reach_the_scheduler_queue(
    make_client: AppFactory, store: SQLiteStore, rabbitmq_maker: BusMaker, admin: dict[str, str]
) -> None:
    await seed.catalogue(store)
    scheduler_side = await rabbitmq_maker()
    received: list[Message] = []

    async def collect(message: Message) -> None:
        received.append(message)

    await scheduler_side.consume(COMMANDS, collect)
    api_bus = await rabbitmq_maker()
    async with make_client(api_bus) as client:
        for method, path, body in MUTATIONS:
            response = await client.request(method, path, json=body, headers=admin, params={"wait": "false"})
            assert response.status_code == 202, response.text
    await wait_until(lambda: len(received) == len(MUTATIONS), message="every command delivered")
    assert all(isinstance(message, Command) and message.actor == ADMIN for message in received)
    assert sorted(message.type for message in received) == sorted(
        [
            "UpdateJobMetadata",
            "PauseJob",
            "ResumeJob",
            "TriggerJob",
            "CancelExecution",
            "MarkExecutionFailed",
            "DeleteExecution",
        ]
    )


async def test_live_stream_over_rabbitmq(
    make_client: AppFactory, rabbitmq_maker: BusMaker, viewer: dict[str, str]
) -> None:
    publisher = await rabbitmq_maker()
    async with (
        make_client(await rabbitmq_maker()) as client,
        SSEConnection(app_of(client), "/api/scheduler/stream", headers=viewer) as sse,
    ):
        await sse.next_event()
        event = JobPaused(job_id="quotes", actor=ADMIN, producer="scheduler")
        await publisher.publish(event)
        received = await sse.next_event()
        assert received is not None and received["id"] == event.message_id


async def test_broker_gone_means_503(
    make_client: AppFactory, store: SQLiteStore, rabbitmq_maker: BusMaker, admin: dict[str, str]
) -> None:
    await seed.catalogue(store)
    api_bus = await rabbitmq_maker()
    async with make_client(api_bus) as client:
        await api_bus.close()
        response = await client.post("/api/scheduler/jobs/quotes/pause", headers=admin)
        assert response.status_code == 503 and "消息总线不可用" in response.json()["detail"]


async def test_presets_command_over_rabbitmq(
    settings: ApiSettings,
    store: SQLiteStore,
    rabbitmq_vhost: RabbitMQVhost,
    rabbitmq_maker: BusMaker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await put_job(store, seed.job("news_sync"))
    scheduler_side = await rabbitmq_maker()
    received: list[Message] = []

    async def collect(message: Message) -> None:
        received.append(message)

    await scheduler_side.consume(COMMANDS, collect)
    monkeypatch.setenv("SCHEDULER_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SCHEDULER_BUS", "rabbitmq")
    monkeypatch.setenv("SCHEDULER_RABBITMQ_URL", rabbitmq_vhost.url)
    assert await asyncio.to_thread(presets.main) == 0
    await wait_until(lambda: len(received) == 1, message="the preset command delivered")
    assert isinstance(received[0], UpdateJobMetadata) and received[0].job_id == "news_sync"
