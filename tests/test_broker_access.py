"""One RabbitMQ user per service, for real: a user per role of `contracts.broker_access` in a throw-away
virtual host, with exactly those permissions. Each service's bus starts and does its work with its own
user, and is refused anything outside it (publishing to another service's exchange, consuming another
service's queue). The users are deleted afterwards."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator
from collections.abc import Awaitable
from collections.abc import Callable
from urllib.parse import quote
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import aio_pika
import aiormq.exceptions
import pytest

from contracts.broker_access import ACCESS
from contracts.broker_access import Role
from contracts.envelope import Message
from contracts.topology import ALERTER
from contracts.topology import API_STREAM
from contracts.topology import COMMANDS
from contracts.topology import LIFECYCLE
from contracts.topology import PROJECTOR
from contracts.topology import RUNS
from contracts.topology import runs_queue
from contracts.topology import worker_control_queue
from infrastructure.bus.rabbitmq_bus import RabbitMQBus
from tests.ports.test_bus import job_started
from tests.ports.test_bus import pause_job
from tests.ports.test_bus import run_job
from tests.rabbitmq import RabbitMQVhost
from tests.rabbitmq import rabbitmqctl

pytestmark = pytest.mark.integration
UserUrl = Callable[[Role], Awaitable[str]]


@pytest.fixture
async def user_url(fresh_rabbitmq_vhost: RabbitMQVhost) -> AsyncIterator[UserUrl]:
    """A URL of the vhost as a new user with the role's permissions; every such user deleted after."""
    vhost = fresh_rabbitmq_vhost
    everything = RabbitMQBus(vhost.url, connection_name="topology")  # what a full stack has declared
    await everything.start()
    await everything.close()
    created: list[str] = []

    async def make(role: Role) -> str:
        name, password = f"test-{role}-{uuid.uuid4().hex[:8]}", secrets.token_hex(16)
        await rabbitmqctl("add_user", name, password)
        created.append(name)
        access = ACCESS[role]
        patterns = [access.pattern(permission) for permission in ("configure", "write", "read")]
        await rabbitmqctl("set_permissions", "-p", vhost.name, name, *patterns)
        parts = urlsplit(vhost.url)
        netloc = f"{quote(name)}:{quote(password)}@{parts.hostname}:{parts.port or 5672}"
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    try:
        yield make
    finally:
        for name in created:
            await rabbitmqctl("delete_user", name)


async def _nothing(message: Message) -> None:
    return None


async def _ignore_delivery(delivery: aio_pika.abc.AbstractIncomingMessage) -> None:
    return None


async def _bus(url: str, role: Role) -> RabbitMQBus:
    bus = RabbitMQBus(url, connection_name=f"test {role}", access=ACCESS[role], reconnect_interval=0.5)
    await bus.start()
    return bus


async def _refused_publish(url: str, exchange: str, routing_key: str) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        target = await channel.get_exchange(exchange, ensure=False)
        with pytest.raises(aiormq.exceptions.ChannelAccessRefused):
            await target.publish(aio_pika.Message(b"{}"), routing_key=routing_key)


async def _refused_consume(url: str, queue: str) -> None:
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        target = await channel.get_queue(queue, ensure=False)
        with pytest.raises(aiormq.exceptions.ChannelAccessRefused):
            await target.consume(_ignore_delivery)


async def test_the_api_user_publishes_commands_and_follows_events_only(user_url: UserUrl) -> None:
    url = await user_url("api")
    bus = await _bus(url, "api")
    try:
        await bus.publish(pause_job())
        await bus.consume(API_STREAM, _nothing)
    finally:
        await bus.close()
    await _refused_publish(url, "scheduler.events", "JobPaused")
    await _refused_publish(url, "scheduler.runs", "RunJob.default")
    await _refused_consume(url, COMMANDS.name)
    await _refused_consume(url, PROJECTOR.name)


async def test_the_scheduler_user_takes_commands_and_sends_runs_and_events(user_url: UserUrl) -> None:
    url = await user_url("scheduler")
    bus = await _bus(url, "scheduler")
    try:
        await bus.consume(COMMANDS, _nothing)
        await bus.consume(LIFECYCLE, _nothing)
        await bus.publish(run_job())
        await bus.publish(job_started())
    finally:
        await bus.close()
    await _refused_consume(url, PROJECTOR.name)
    await _refused_consume(url, RUNS.name)


async def test_the_projector_user_only_reads_its_queue(user_url: UserUrl) -> None:
    url = await user_url("projector")
    bus = await _bus(url, "projector")
    try:
        await bus.consume_batches(PROJECTOR, lambda messages: _nothing(messages[0]))
    finally:
        await bus.close()
    await _refused_publish(url, "scheduler.events", "JobStarted")
    await _refused_publish(url, "scheduler.commands", "PauseJob")
    await _refused_consume(url, COMMANDS.name)
    await _refused_consume(url, RUNS.name)


async def test_the_worker_user_takes_runs_and_sends_events_only(user_url: UserUrl) -> None:
    url = await user_url("worker")
    bus = await _bus(url, "worker")
    try:
        await bus.consume(RUNS, _nothing)
        await bus.consume(runs_queue("history"), _nothing)
        await bus.consume(worker_control_queue("worker-1"), _nothing)
        await bus.publish(job_started())
    finally:
        await bus.close()
    await _refused_publish(url, "scheduler.commands", "PauseJob")
    await _refused_publish(url, "scheduler.runs", "RunJob.default")
    await _refused_consume(url, COMMANDS.name)
    await _refused_consume(url, PROJECTOR.name)


async def test_the_alerter_user_follows_its_queue_and_sends_events_only(user_url: UserUrl) -> None:
    url = await user_url("alerter")
    bus = await _bus(url, "alerter")
    try:
        await bus.consume(ALERTER, _nothing)
        await bus.publish(job_started())
    finally:
        await bus.close()
    await _refused_publish(url, "scheduler.commands", "PauseJob")
    await _refused_publish(url, "scheduler.runs", "RunJob.default")
    await _refused_consume(url, COMMANDS.name)
    await _refused_consume(url, PROJECTOR.name)
