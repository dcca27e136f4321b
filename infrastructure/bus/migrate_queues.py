"""Move a deployment's classic durable queues to quorum queues.

Run as `python -m infrastructure.bus.migrate_queues`; no message is lost.

RabbitMQ cannot change a queue's type in place, so each classic queue is drained into a holding quorum
queue (`<name>.migrating`, every message published again with confirms before it is acknowledged), deleted,
declared again as a quorum queue with its bindings, and filled back from the holding queue. Run it with the
services stopped (it refuses a queue that has consumers: what a running producer published while the queue
is away would be dropped). Every step can be run again: a run that died half-way is finished by the next
one (a holding queue that exists is emptied into its queue).

It reads the same settings as the services (`SCHEDULER_RABBITMQ_URL` / `SCHEDULER_BROKER_URLS`,
`SCHEDULER_WORKER_POOLS`); `--dry-run` only says what it would move.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from typing import Literal

import aio_pika
from aio_pika.abc import AbstractChannel
from aio_pika.abc import AbstractConnection
from aio_pika.abc import AbstractIncomingMessage
from aiormq.exceptions import ChannelNotFoundEntity
from aiormq.exceptions import ChannelPreconditionFailed

from contracts.topology import ALERTER
from contracts.topology import COMMANDS_EXCHANGE
from contracts.topology import DEAD_LETTER_EXCHANGE
from contracts.topology import DEAD_LETTER_QUEUE
from contracts.topology import EVENTS_EXCHANGE
from contracts.topology import RUNS_EXCHANGE
from contracts.topology import STANDING_QUEUES
from contracts.topology import QueueSpec
from contracts.topology import runs_queue
from infrastructure.bus.rabbitmq_nodes import connect_to_any
from infrastructure.bus.rabbitmq_topology import QUORUM
from infrastructure.bus.rabbitmq_topology import dead_letter_queue_arguments
from infrastructure.bus.rabbitmq_topology import declare_queue
from infrastructure.bus.rabbitmq_topology import queue_arguments

logger = logging.getLogger(__name__)

HOLDING_SUFFIX = ".migrating"
CONNECT_TIMEOUT_S = 10.0
GET_TIMEOUT_S = 5.0

QueueKind = Literal["missing", "classic", "quorum"]


class MigrationRefused(RuntimeError):
    """A queue cannot be migrated now (it has consumers: stop the services first)."""


@dataclass
class Moved:
    """One queue the migration handled: its name, its kind and how many messages it carried over."""

    queue: str
    kind: QueueKind
    messages: int = 0


def durable_queues(pools: Sequence[str] = ()) -> list[QueueSpec | None]:
    """The durable queues to migrate.

    What is migrated: the standing queues, the alerter's, each worker pool's run queue, and the
    dead-letter queue (None: it has arguments of its own).
    """
    specs: list[QueueSpec | None] = [*STANDING_QUEUES, ALERTER]
    specs += [runs_queue(pool) for pool in pools if pool != "default"]
    specs.append(None)
    return specs


def _name(spec: QueueSpec | None) -> str:
    return DEAD_LETTER_QUEUE if spec is None else spec.name


def _quorum_arguments(spec: QueueSpec | None) -> dict[str, Any]:
    return dead_letter_queue_arguments() if spec is None else queue_arguments(spec)


async def _probe(connection: AbstractConnection, spec: QueueSpec | None) -> tuple[QueueKind, int]:
    """Whether the queue exists, of which type, and how many consumers it has.

    A quorum declaration of a classic queue is refused; so is one of a quorum queue with other arguments,
    which is then moved the same way.
    """
    name = _name(spec)
    channel = await connection.channel()
    try:
        queue = await channel.declare_queue(name, passive=True)
    except ChannelNotFoundEntity:
        return "missing", 0
    consumers = queue.declaration_result.consumer_count or 0
    await _close(channel)
    channel = await connection.channel()
    try:
        await channel.declare_queue(name, durable=True, arguments=_quorum_arguments(spec))
    except ChannelPreconditionFailed:
        return "classic", consumers
    await _close(channel)
    return "quorum", consumers


async def _close(channel: AbstractChannel) -> None:
    if not channel.is_closed:
        await channel.close()


async def _move(channel: AbstractChannel, source: str, target: str) -> int:
    """Move every message of `source` to `target`; how many.

    Every message of `source` published to `target` (default exchange, confirmed, persistent, same
    properties) before it is acknowledged in `source`; how many.
    """
    queue = await channel.get_queue(source, ensure=False)
    moved = 0
    while True:
        message = await queue.get(no_ack=False, fail=False, timeout=GET_TIMEOUT_S)
        if message is None:
            return moved
        await channel.default_exchange.publish(_copy(message), routing_key=target)
        await message.ack()
        moved += 1


# The properties a moved message keeps (its expiration and user id are not carried over).
KEPT_PROPERTIES = (
    "headers",
    "content_type",
    "content_encoding",
    "priority",
    "correlation_id",
    "reply_to",
    "message_id",
    "timestamp",
    "type",
    "app_id",
)


def _copy(message: AbstractIncomingMessage) -> aio_pika.Message:
    kept = {name: getattr(message, name) for name in KEPT_PROPERTIES}
    return aio_pika.Message(message.body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT, **kept)


async def migrate_queue(
    connection: AbstractConnection, spec: QueueSpec | None, *, dry_run: bool = False
) -> Moved:
    """Migrate one queue (see the module's docstring); what it found and how many messages it moved."""
    name = _name(spec)
    kind, consumers = await _probe(connection, spec)
    holding_name = name + HOLDING_SUFFIX
    if dry_run:
        logger.info("%s: %s, %d consumer(s)", name, kind, consumers)
        return Moved(name, kind)
    if kind == "classic" and consumers:
        raise MigrationRefused(f"{name} has {consumers} consumer(s): stop the services, then run it again")
    moved = 0
    # One channel per phase: a channel that used the classic queue must not publish to the quorum queue
    # declared under its name (RabbitMQ 3.10 keeps the old queue's state in the channel and fails).
    channel = await connection.channel(publisher_confirms=True)
    try:
        await channel.declare_queue(holding_name, durable=True, arguments=dict(QUORUM))
        if kind == "classic":
            moved = await _move(channel, name, holding_name)
            await channel.queue_delete(name, if_unused=True, if_empty=True)
            logger.info("%s: %d message(s) held in %s, classic queue deleted", name, moved, holding_name)
    finally:
        await _close(channel)
    channel = await connection.channel(publisher_confirms=True)
    try:
        if spec is None:
            queue = await channel.declare_queue(name, durable=True, arguments=dead_letter_queue_arguments())
            await queue.bind(DEAD_LETTER_EXCHANGE, routing_key="")
        else:
            await declare_queue(channel, spec)
        back = await _move(channel, holding_name, name)
        holding = await channel.declare_queue(holding_name, passive=True)
        left = holding.declaration_result.message_count or 0
        if left:  # published into it meanwhile (it should not be): kept, a next run moves them
            raise MigrationRefused(f"{holding_name} still holds {left} message(s): run it again")
        await channel.queue_delete(holding_name)  # quorum queues take neither if-unused nor if-empty
        if kind == "classic" or back:
            logger.info("%s: quorum queue, %d message(s) moved back", name, back)
        return Moved(name, kind, max(moved, back))
    finally:
        await _close(channel)


async def migrate(urls: Sequence[str], pools: Sequence[str] = (), *, dry_run: bool = False) -> list[Moved]:
    """Migrate every durable queue of the deployment at `urls` (exchanges declared first)."""
    connection = await connect_to_any(
        urls, connect_timeout=CONNECT_TIMEOUT_S, client_properties={"connection_name": "queue migration"}
    )
    async with connection:
        if not dry_run:
            channel = await connection.channel()
            # The exchanges must exist to bind the new queues to them.
            await _declare_exchanges(channel)
            await _close(channel)
        return [await migrate_queue(connection, spec, dry_run=dry_run) for spec in durable_queues(pools)]


async def _declare_exchanges(channel: AbstractChannel) -> None:
    for name in (COMMANDS_EXCHANGE, RUNS_EXCHANGE, EVENTS_EXCHANGE):
        await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)
    await channel.declare_exchange(DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.FANOUT, durable=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Move every classic queue to a quorum queue (`--dry-run`: only say what would move); the exit status."""
    parser = argparse.ArgumentParser(prog="python -m infrastructure.bus.migrate_queues", description=__doc__)
    parser.add_argument("--dry-run", action="store_true", help="say what would be moved, move nothing")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s migrate-queues: %(message)s")
    from infrastructure.settings import CommonSettings

    settings = CommonSettings()
    try:
        moved = asyncio.run(
            migrate(settings.rabbitmq_urls(), list(settings.worker_pools), dry_run=arguments.dry_run)
        )
    except MigrationRefused as refused:
        logger.error("%s", refused)
        return 1
    except (OSError, aio_pika.exceptions.AMQPError) as error:
        logger.error("migration failed: %s: %s (run it again: it resumes)", type(error).__name__, error)
        return 1
    for item in moved:
        print(f"{item.queue}: was {item.kind}, {item.messages} message(s) moved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
