"""Leader election on the broker: one holder of a named lock at a time, among processes or in one.

On RabbitMQ the lock is an exclusive queue declared on a connection of its own (not the robust one: a
lost lock must be noticed, not silently re-declared). Only one connection can hold an exclusive queue; the
broker deletes it when that connection dies, and the next candidate's declaration then succeeds. The
holder learns it lost the lock when its connection closes (`lease.lost` is set) and must stop acting as
leader at once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

import aio_pika
from aio_pika.abc import AbstractConnection
from aiormq.exceptions import ChannelLockedResource

from infrastructure.bus.broker_urls import parse_broker_urls
from infrastructure.bus.rabbitmq_nodes import connect_to_any

logger = logging.getLogger(__name__)

LOCK_TIMEOUT_S = 5.0


class Lease(Protocol):
    """The leader lock while it is held; `lost` is set when it goes, `release` gives it up."""

    @property
    def lost(self) -> asyncio.Event:
        """Set when the lock is lost (connection closed): the holder must stop leading."""

    async def release(self) -> None:
        """Give the lock up (`lost` is set): another process may take it at once."""


class LeaderElection(Protocol):
    """Who leads among a service's processes: one lock, tried again and again by the standbys."""

    async def try_acquire(self) -> Lease | None:
        """The lock if nobody holds it, else None (try again later)."""


class _InProcessLease:
    def __init__(self, holders: set[str], name: str) -> None:
        self._holders = holders
        self._name = name
        self._lost = asyncio.Event()

    @property
    def lost(self) -> asyncio.Event:
        return self._lost

    async def release(self) -> None:
        self._holders.discard(self._name)
        self._lost.set()


class InProcessElection:
    """Embedded mode: schedulers sharing this object (one process) lead one at a time."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._holders: set[str] = set()

    async def try_acquire(self) -> Lease | None:
        """The lock if nobody holds it, else None (try again later)."""
        if self._name in self._holders:
            return None
        self._holders.add(self._name)
        return _InProcessLease(self._holders, self._name)


class _RabbitMQLease:
    def __init__(self, connection: AbstractConnection) -> None:
        self._connection = connection
        self._lost = asyncio.Event()
        connection.close_callbacks.add(self._on_close)

    def _on_close(self, *_: object) -> None:
        if not self._lost.is_set():
            logger.warning("leadership lost: the lock's connection closed")
        self._lost.set()

    @property
    def lost(self) -> asyncio.Event:
        return self._lost

    async def release(self) -> None:
        self._lost.set()
        await self._connection.close()


class RabbitMQElection:
    """Leader election with a lock on a RabbitMQ node.

    The lock on the first node of `urls` that answers (a cluster: any node; the lock queue lives on the
    node of the holder's connection, so the holder and its lock go down together).
    """

    def __init__(self, url: str | Sequence[str], name: str, *, connection_name: str) -> None:
        self._urls = parse_broker_urls(url) if isinstance(url, str) else tuple(url)
        self._name = name
        self._connection_name = connection_name

    async def try_acquire(self) -> Lease | None:
        """The lock if nobody holds it, else None (try again later)."""
        try:
            connection = await connect_to_any(
                self._urls,
                connect_timeout=LOCK_TIMEOUT_S,
                client_properties={"connection_name": f"{self._connection_name} (leader lock)"},
            )
        except (ConnectionError, OSError, TimeoutError, aio_pika.exceptions.AMQPError) as error:
            logger.warning("leader election: broker unreachable (%s)", error)
            return None
        try:
            channel = await connection.channel()
            await channel.declare_queue(self._name, exclusive=True, durable=False, auto_delete=True)
        except ChannelLockedResource:
            await connection.close()
            return None
        except Exception:
            await connection.close()
            raise
        logger.info("leadership acquired (%s)", self._name)
        return _RabbitMQLease(connection)
