"""Several RabbitMQ nodes (a cluster) behind one connection: connect to the first that answers, and after a
loss reconnect to the next one in the list.

`parse_broker_urls` reads the setting (a comma-separated list of AMQP URLs, one per node) and refuses a
malformed entry. `connect_robust_to_any` tries the nodes in order, logging each one it cannot reach, and
returns an aio-pika robust connection whose every later attempt (after the connection is lost, or after an
attempt failed) goes to the next node in turn. aio-pika then restores channels, exchanges, queues, bindings
and consumers on whichever node it reached: the cluster shares their definitions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import aio_pika
from aio_pika.abc import AbstractConnection, AbstractRobustConnection
from aio_pika.exceptions import AMQPError
from aio_pika.robust_connection import RobustConnection
from yarl import URL

logger = logging.getLogger(__name__)

MAX_NODES = 16
UNREACHABLE = (AMQPError, ConnectionError, OSError, TimeoutError, asyncio.TimeoutError)


class BrokerUrlsInvalid(ValueError):
    """The broker URL setting cannot be used (says which entry and why, never its password)."""


def redacted(url: str | URL) -> str:
    """`url` without its password, for logs and errors."""
    parsed = URL(str(url))
    return str(parsed.with_password("******")) if parsed.password else str(parsed)


def parse_broker_urls(text: str) -> tuple[str, ...]:
    """The AMQP URLs of `text`, comma-separated (blanks around entries ignored); `BrokerUrlsInvalid` when
    it is empty, has more than `MAX_NODES` entries, or an entry is not an `amqp://`/`amqps://` URL with a
    host and a valid port."""
    entries = [entry.strip() for entry in text.split(",")]
    if not any(entries):
        raise BrokerUrlsInvalid("no broker URL given")
    if len(entries) > MAX_NODES:
        raise BrokerUrlsInvalid(f"{len(entries)} broker URLs given, at most {MAX_NODES}")
    urls: list[str] = []
    for position, entry in enumerate(entries, start=1):
        if not entry:
            raise BrokerUrlsInvalid(f"broker URL #{position} is empty (a stray comma?)")
        parts = urlsplit(entry)
        shown = f"broker URL #{position} ({parts.scheme or '?'}://{parts.hostname or '?'})"
        if parts.scheme not in ("amqp", "amqps"):
            raise BrokerUrlsInvalid(f"{shown}: the scheme must be amqp or amqps")
        try:
            port = parts.port
        except ValueError:
            raise BrokerUrlsInvalid(f"{shown}: the port is not a number from 1 to 65535") from None
        if not parts.hostname:
            raise BrokerUrlsInvalid(f"{shown}: no host")
        if port == 0:
            raise BrokerUrlsInvalid(f"{shown}: port 0")
        urls.append(entry)
    return tuple(urls)


class FailoverConnection(RobustConnection):
    """A robust connection to one node of several: each connection attempt after the first goes to the
    next node of the list (round robin), so losing a node moves the connection to another."""

    def __init__(self, nodes: Sequence[str], *, start: int = 0, **kwargs: Any) -> None:
        self._nodes = tuple(URL(node) for node in nodes)
        self._index = start % len(self._nodes)
        self._attempted = False
        self._ready = False
        super().__init__(self._nodes[self._index], **kwargs)
        self._ready = True

    @property
    def url(self) -> URL:
        """The node to connect to. aio-pika reads it once per connection attempt, right after dropping
        the transport: a read without a transport after the first attempt moves to the next node."""
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
    """A robust connection to the first node of `urls` that answers (each one that does not is logged);
    the last error if none does."""
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
