"""How the broker names of `contracts.topology` become RabbitMQ exchanges, queues and message properties.

Everything is declared through robust channels, so aio-pika re-declares it (and re-binds, and restarts
consumers) after a reconnection.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel
from aio_pika.abc import AbstractExchange
from aio_pika.abc import AbstractIncomingMessage
from aio_pika.abc import AbstractQueue
from aio_pika.abc import HeadersType

from contracts.broker_access import Access
from contracts.topology import COMMANDS_EXCHANGE
from contracts.topology import DEAD_LETTER_EXCHANGE
from contracts.topology import DEAD_LETTER_QUEUE
from contracts.topology import EVENTS_EXCHANGE
from contracts.topology import LOGS_EXCHANGE
from contracts.topology import ORIGINAL_QUEUE_HEADER
from contracts.topology import REJECTION_REASON_HEADER
from contracts.topology import RUNS_EXCHANGE
from contracts.topology import STANDING_QUEUES
from contracts.topology import QueueSpec
from infrastructure.bus.port import DeadLetter

TOPIC_EXCHANGES = (COMMANDS_EXCHANGE, RUNS_EXCHANGE, EVENTS_EXCHANGE, LOGS_EXCHANGE)
CONTENT_TYPE = "application/json"
PERSISTENT = int(aio_pika.DeliveryMode.PERSISTENT)  # delivery mode 2: written to disk by the broker


@dataclass(frozen=True)
class Topology:
    """The declared exchanges by name, and the dead-letter queue."""

    exchanges: dict[str, AbstractExchange]
    dead_letter_queue: AbstractQueue


async def declare_topology(
    channel: AbstractChannel, access: Access | None = None, *, quorum: bool = True
) -> Topology:
    """Declare the exchanges, the dead-letter queue and the standing queues.

    All of them, or with a service's `access` (its own broker user) only those that service uses.
    `quorum=False`: durable queues declared classic, as before quorum queues (a deployment not migrated yet).

    The standing queues are declared here, not only when consumed, so that commands and runs published
    before their consumer first starts are kept rather than dropped as unroutable.
    """
    exchanges: dict[str, AbstractExchange] = {}
    for name in TOPIC_EXCHANGES:
        if access is None or name in access.exchanges:
            exchanges[name] = await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)
        elif name in access.publishes:  # published to without the right to declare it: must exist already
            exchanges[name] = await channel.get_exchange(name, ensure=False)
    # Fanout: whatever the routing key (our original queue name, or the broker's own dead-lettering
    # which keeps the message's routing key), everything lands in the one dead-letter queue.
    exchanges[DEAD_LETTER_EXCHANGE] = await channel.declare_exchange(
        DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.FANOUT, durable=True
    )
    dead_letter_queue = await channel.declare_queue(
        DEAD_LETTER_QUEUE, durable=True, arguments=dead_letter_queue_arguments(quorum=quorum)
    )
    await dead_letter_queue.bind(exchanges[DEAD_LETTER_EXCHANGE], routing_key="")
    for spec in STANDING_QUEUES if access is None else access.standing_queues:
        await declare_queue(channel, spec, quorum=quorum)
    return Topology(exchanges, dead_letter_queue)


# A quorum queue: Raft-replicated over the cluster's nodes (a majority must be up to write to it).
QUORUM = {"x-queue-type": "quorum"}
# At-least-once dead-lettering (RabbitMQ >= 3.10): the queue keeps a dead-lettered message until the
# dead-letter queue confirms it; the broker requires `reject-publish` overflow for it.
AT_LEAST_ONCE = {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}


def queue_arguments(spec: QueueSpec, *, quorum: bool = True) -> dict[str, Any]:
    """The arguments of a queue.

    Queue arguments: the broker's own dead-lettering (the delivery limit of a quorum queue) goes to our
    exchange too, at least once. `quorum=False`: a classic queue even if durable.
    """
    arguments: dict[str, Any] = {"x-dead-letter-exchange": DEAD_LETTER_EXCHANGE}
    if spec.quorum and quorum:
        arguments.update(QUORUM)
        arguments.update(AT_LEAST_ONCE)
        arguments["x-delivery-limit"] = spec.delivery_limit
    if spec.single_active_consumer:
        arguments["x-single-active-consumer"] = True
    arguments.update(spec.extra)
    return arguments


def dead_letter_queue_arguments(*, quorum: bool = True) -> dict[str, Any]:
    """The dead-letter queue: a quorum queue too, without a dead-letter exchange (nowhere further)."""
    return dict(QUORUM) if quorum else {}


async def declare_queue(channel: AbstractChannel, spec: QueueSpec, *, quorum: bool = True) -> AbstractQueue:
    """Declare and bind the queue of `spec`.

    An exclusive queue gets a unique name (`<spec.name>.<random>`) so that every process has its own copy
    (per-process fan-out). It is not auto-delete, so that pausing its only consumer does not delete it;
    the subscription deletes it on cancel and the broker deletes it when the connection closes.
    """
    if spec.exclusive:
        queue = await channel.declare_queue(
            f"{spec.name}.{uuid.uuid4().hex[:12]}",
            durable=False,
            exclusive=True,
            arguments=queue_arguments(spec),
        )
    else:
        queue = await channel.declare_queue(
            spec.name, durable=spec.durable, arguments=queue_arguments(spec, quorum=quorum)
        )
    for key in spec.binding_keys:
        await queue.bind(spec.exchange, routing_key=key)
    for key in spec.retired_keys:  # unbinding what is not bound is no error
        await queue.unbind(spec.exchange, routing_key=key)
    return queue


def outgoing(
    *,
    message_id: str | None = None,
    message_type: str | None = None,
    correlation_id: str | None = None,
    headers: HeadersType | None = None,
) -> aiormq.spec.Basic.Properties:
    """The properties of a persistent JSON message; envelope ids as AMQP properties, seen in tools.

    The frame's properties themselves, as aio-pika's `Message` would build them (the same on the wire): a
    publish hands them to the channel without building a `Message` first (issue 18: that object, its
    guarded attributes and its properties cost a tenth of a worker's CPU per event).
    """
    return aiormq.spec.Basic.Properties(
        delivery_mode=PERSISTENT,
        content_type=CONTENT_TYPE,
        message_id=message_id,
        message_type=message_type,
        correlation_id=correlation_id,
        headers=headers or {},
    )


def dead_letter_from(message: AbstractIncomingMessage) -> DeadLetter:
    """Read a dead letter: our headers if we put it there, else the broker's `x-death` record."""
    headers = message.headers or {}
    reason = _text(headers.get(REJECTION_REASON_HEADER))
    original_queue = _text(headers.get(ORIGINAL_QUEUE_HEADER))
    deaths = headers.get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict):
        reason = reason or f"dead-lettered by the broker: {_text(deaths[0].get('reason'))}"
        original_queue = original_queue or _text(deaths[0].get("queue"))
    return DeadLetter(body=message.body, reason=reason or "unknown", original_queue=original_queue or "")


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return "" if value is None else str(value)
