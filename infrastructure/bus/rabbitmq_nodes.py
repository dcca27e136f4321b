"""Several RabbitMQ nodes (a cluster) behind one connection.

Connect to the first that answers, and after a loss reconnect to the next one in the list.

`infrastructure.bus.broker_urls` reads the setting (a comma-separated list of AMQP URLs, one per node).
`connect_robust_to_any` tries the nodes in order, logging each one it cannot reach, and
returns an aio-pika robust connection whose every later attempt (after the connection is lost, or after an
attempt failed) goes to the next node in turn. aio-pika then restores channels, exchanges, queues, bindings
and consumers on whichever node it reached: the cluster shares their definitions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import aio_pika
from aio_pika.abc import AbstractConnection
from aio_pika.abc import AbstractRobustConnection
from aio_pika.exceptions import AMQPError
from aio_pika.robust_connection import RobustConnection
from yarl import URL

from infrastructure.bus.broker_urls import redacted

logger = logging.getLogger(__name__)

UNREACHABLE = (AMQPError, ConnectionError, OSError, TimeoutError, asyncio.TimeoutError)


class FailoverConnection(RobustConnection):
    """A robust connection to one node of several.

    Each connection attempt after the first goes to the next node of the list (round robin), so losing a node
    moves the connection to another.
    """

    def __init__(self, nodes: Sequence[str], *, start: int = 0, **kwargs: Any) -> None:
        self._nodes = tuple(URL(node) for node in nodes)
        self._index = start % len(self._nodes)
        self._attempted = False
        self._ready = False
        super().__init__(self._nodes[self._index], **kwargs)
        self._ready = True

    @property
    def url(self) -> URL:
        """The node to connect to.

        aio-pika reads it once per connection attempt, right after dropping the transport: a read without a
        transport after the first attempt moves to the next node.
        """
        if self._ready and getattr(self, "transport", None) is None:
            if self._attempted:
                self._index = (self._index + 1) % len(self._nodes)
                logger.info("broker connection: trying node %s", redacted(self._nodes[self._index]))
            self._attempted = True
        return self._nodes[self._index]

    @url.setter
    def url(self, value: URL) -> None:  # set by aio-pika's constructor (and on a secret update)
        self._nodes = tuple(value if index == self._index else node for index, node in enumerate(self._nodes))

    @property
    def node(self) -> str:
        """The node in use (or last tried), password hidden."""
        return redacted(self._nodes[self._index])

    def __str__(self) -> str:
        return self.node


async def connect_robust_to_any(
    urls: Sequence[str],
    *,
    connect_timeout: float,
    client_properties: dict[str, Any],
    reconnect_interval: float,
) -> AbstractRobustConnection:
    """A robust connection to the first node of `urls` that answers.

    Each node that does not answer is logged; the last error if none does.
    """
    last: BaseException | None = None
    for start, url in enumerate(urls):
        connection = FailoverConnection(
            urls, start=start, client_properties=client_properties, reconnect_interval=reconnect_interval
        )
        try:
            await connection.connect(connect_timeout)
        except UNREACHABLE as error:
            last = error
            await _close_quietly(connection)
            if len(urls) > 1:
                logger.warning("broker node %s unreachable, skipped: %r", redacted(url), error)
            continue
        if start:
            logger.info("connected to broker node %s", redacted(url))
        return connection
    assert last is not None
    raise last


async def connect_to_any(
    urls: Sequence[str], *, connect_timeout: float, client_properties: dict[str, Any]
) -> AbstractConnection:
    """A plain (not robust) connection to the first node of `urls` that answers; the last error if none."""
    last: BaseException | None = None
    for url in urls:
        try:
            return await aio_pika.connect(url, timeout=connect_timeout, client_properties=client_properties)
        except UNREACHABLE as error:
            last = error
            if len(urls) > 1:
                logger.warning("broker node %s unreachable, skipped: %r", redacted(url), error)
    assert last is not None
    raise last


async def _close_quietly(connection: AbstractConnection) -> None:
    try:
        await connection.close()
    except (*UNREACHABLE, RuntimeError):
        logger.debug("connection closed uncleanly", exc_info=True)
