"""Quorum queues, the broker's delivery limit, the migration from classic queues and a list of broker URLs,
on the default broker (a virtual host of the test's own)."""

from __future__ import annotations

import logging

import aio_pika
import pytest
from pydantic import ValidationError

from contracts.commands import PauseJob
from contracts.topology import COMMANDS
from contracts.topology import EVENTS_EXCHANGE
from contracts.topology import RUNS
from contracts.topology import QueueSpec
from infrastructure.bus.broker_urls import BrokerUrlsInvalid
from infrastructure.bus.broker_urls import parse_broker_urls
from infrastructure.bus.migrate_queues import HOLDING_SUFFIX
from infrastructure.bus.migrate_queues import migrate
from infrastructure.bus.rabbitmq_bus import RabbitMQBus
from infrastructure.settings import CommonSettings
from tests.e2e.harness import free_port
from tests.ports.test_bus import Recorder
from tests.ports.test_bus import job_started
from tests.ports.test_bus import pause_job
from tests.rabbitmq import RabbitMQVhost
from tests.rabbitmq import fresh_rabbitmq_vhost
from tests.rabbitmq import rabbitmqctl
from tests.waiting import wait_until

__all__ = ["fresh_rabbitmq_vhost"]

POISON = QueueSpec("test.poison", EVENTS_EXCHANGE, binding_keys=("JobStarted",), delivery_limit=2)


async def queue_types(vhost: RabbitMQVhost) -> dict[str, str]:
    listing = await rabbitmqctl("list_queues", "-p", vhost.name, "--no-table-headers", "name", "type")
    return dict(line.split() for line in listing.splitlines() if line.strip())


@pytest.mark.integration
async def test_durable_queues_are_quorum_and_per_process_queues_classic(
    fresh_rabbitmq_vhost: RabbitMQVhost,
) -> None:
    bus = RabbitMQBus(fresh_rabbitmq_vhost.url, connection_name="test quorum")
    await bus.start()
    try:
        await bus.consume(
            QueueSpec("test.stream", EVENTS_EXCHANGE, durable=False, exclusive=True), Recorder()
        )
        types = await queue_types(fresh_rabbitmq_vhost)
    finally:
        await bus.close()
    standing = ("scheduler.commands", "workers.runs", "projector.events", "scheduler.lifecycle")
    for name in (*standing, "scheduler.definitions"):
        assert types[name] == "quorum", types
    assert types["scheduler.dead-letter"] == "quorum"
    assert [kind for name, kind in types.items() if name.startswith("test.stream.")] == ["classic"]
    listing = await rabbitmqctl(
        "list_queues", "-p", fresh_rabbitmq_vhost.name, "--no-table-headers", "name", "arguments"
    )
    runs = next(line for line in listing.splitlines() if line.startswith("workers.runs"))
    assert "x-delivery-limit" in runs and "at-least-once" in runs and "reject-publish" in runs


@pytest.mark.integration
async def test_a_message_that_keeps_coming_back_is_dead_lettered_by_the_broker_with_its_reason(
    fresh_rabbitmq_vhost: RabbitMQVhost,
) -> None:
    bus = RabbitMQBus(fresh_rabbitmq_vhost.url, connection_name="test poison")
    await bus.start()
    try:
        await bus.declare(POISON)
        poison = job_started("exec-poison")
        await bus.publish(poison)
        # A consumer that dies with the message each time (its channel closes before any ack).
        connection = await aio_pika.connect(fresh_rabbitmq_vhost.url)
        async with connection:
            for _ in range(POISON.delivery_limit + 1):
                channel = await connection.channel()
                queue = await channel.get_queue(POISON.name, ensure=False)
                message = await queue.get(no_ack=False, fail=False, timeout=5)
                assert message is not None, "the message is still there until the limit is passed"
                await channel.close()
            channel = await connection.channel()
            queue = await channel.get_queue(POISON.name, ensure=False)
            assert await queue.get(no_ack=False, fail=False, timeout=5) is None
        letters = []

        async def dead_lettered() -> bool:
            letters.extend(await bus.take_dead_letters())
            return bool(letters)

        await wait_until(dead_lettered, timeout=10, message="the broker to dead-letter the message")
    finally:
        await bus.close()
    [letter] = letters
    assert letter.original_queue == POISON.name
    assert "delivery_limit" in letter.reason
    assert b"exec-poison" in letter.body


@pytest.mark.integration
async def test_classic_queues_migrate_to_quorum_queues_with_every_message(
    fresh_rabbitmq_vhost: RabbitMQVhost,
) -> None:
    classic = RabbitMQBus(fresh_rabbitmq_vhost.url, connection_name="test classic", quorum=False)
    await classic.start()
    commands = [pause_job(f"job-{index}") for index in range(30)]
    try:
        await classic.publish_many(commands)
    finally:
        await classic.close()
    assert (await queue_types(fresh_rabbitmq_vhost))["scheduler.commands"] == "classic"

    moved = await migrate([fresh_rabbitmq_vhost.url])

    by_queue = {item.queue: item for item in moved}
    assert by_queue["scheduler.commands"].kind == "classic"
    assert by_queue["scheduler.commands"].messages == len(commands)
    types = await queue_types(fresh_rabbitmq_vhost)
    assert all(kind == "quorum" for kind in types.values()), types
    assert not [name for name in types if name.endswith(HOLDING_SUFFIX)]
    again = await migrate([fresh_rabbitmq_vhost.url])  # idempotent: nothing to move any more
    assert {item.kind for item in again} <= {"quorum", "missing"}

    bus = RabbitMQBus(fresh_rabbitmq_vhost.url, connection_name="test quorum")
    await bus.start()
    recorder = Recorder()
    try:
        await bus.consume(COMMANDS, recorder)
        await wait_until(lambda: len(recorder.messages) == len(commands), message="every command")
        await bus.publish(job_started("exec-after"))  # the bindings were made again
        runs_listing = await rabbitmqctl(
            "list_bindings", "-p", fresh_rabbitmq_vhost.name, "--no-table-headers", "source_name",
            "destination_name",
        )  # fmt: skip
    finally:
        await bus.close()
    assert [message.message_id for message in recorder.messages] == [c.message_id for c in commands]
    assert all(isinstance(message, PauseJob) for message in recorder.messages)
    assert any(line.split() == ["scheduler.runs", RUNS.name] for line in runs_listing.splitlines())
    assert any(
        line.split() == ["scheduler.dead-letter", "scheduler.dead-letter"]
        for line in runs_listing.splitlines()
    )


def test_broker_url_lists_are_read_and_malformed_entries_refused() -> None:
    assert parse_broker_urls(" amqp://a:1/v , amqps://u:p@b:5671/ ") == (
        "amqp://a:1/v",
        "amqps://u:p@b:5671/",
    )
    for text, said in [
        ("", "no broker URL"),
        ("amqp://a/,", "#2 is empty"),
        ("amqp://a/,http://u:secret@b/", "#2 (http://b): the scheme must be amqp or amqps"),
        ("amqp://u:secret@a:99999/", "#1 (amqp://a): the port"),
        ("amqp:///v", "#1 (amqp://?): no host"),
    ]:
        with pytest.raises(BrokerUrlsInvalid) as refused:
            parse_broker_urls(text)
        assert said in str(refused.value)
        assert "secret" not in str(refused.value)


def test_settings_refuse_a_malformed_broker_url_at_start_up_without_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SCHEDULER_BROKER_URLS", "amqp://u:secret@a:5672/,amqp//u:secret@b/")
    with pytest.raises(ValidationError) as refused:
        CommonSettings(_env_file=None)
    assert "broker URL #2" in str(refused.value)
    assert "secret" not in str(refused.value)
    monkeypatch.setenv("SCHEDULER_BROKER_URLS", "amqp://u:p@a:5672/, amqp://u:p@b:5673/")
    assert CommonSettings(_env_file=None).rabbitmq_urls() == (
        "amqp://u:p@a:5672/",
        "amqp://u:p@b:5673/",
    )


@pytest.mark.integration
async def test_an_unreachable_broker_url_is_skipped_with_a_log_line(
    fresh_rabbitmq_vhost: RabbitMQVhost, caplog: pytest.LogCaptureFixture
) -> None:
    dead = f"amqp://guest:guest@127.0.0.1:{free_port()}/"
    bus = RabbitMQBus([dead, fresh_rabbitmq_vhost.url], connection_name="test failover")
    with caplog.at_level(logging.WARNING):
        await bus.start()
    try:
        recorder = Recorder()
        await bus.consume(COMMANDS, recorder)
        await bus.publish(pause_job())
        await wait_until(lambda: len(recorder.messages) == 1, message="the command through the 2nd node")
    finally:
        await bus.close()
    assert any("unreachable, skipped" in record.getMessage() for record in caplog.records)
    assert not any("guest:guest" in record.getMessage() for record in caplog.records)
