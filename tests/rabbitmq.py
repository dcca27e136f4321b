"""RabbitMQ for the tests: a virtual host of their own, so they never see production queues or each other's.

Virtual hosts are made with rabbitmqctl (no management plugin needed) and deleted after use. Without a
reachable broker the tests that need one are skipped, except on CI (`CI=true`), where they fail: an
integration suite that silently skips proves nothing.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import aio_pika
import pytest

RABBITMQ_URL = os.environ.get("RABBITMQ_TEST_URL", "amqp://guest:guest@127.0.0.1:5672/")
RABBITMQCTL_TIMEOUT = 60


def _broker_missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"RabbitMQ is required on CI (CI=true): {reason}", pytrace=False)
    pytest.skip(f"RabbitMQ not reachable, integration tests skipped: {reason}")


def _rabbitmqctl(*arguments: str) -> str:
    completed = subprocess.run(
        ["rabbitmqctl", "--quiet", *arguments],
        capture_output=True,
        text=True,
        timeout=RABBITMQCTL_TIMEOUT,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(arguments)} failed: {completed.stderr.strip()}")
    return completed.stdout


@dataclass(frozen=True)
class RabbitMQVhost:
    name: str
    url: str


def _new_vhost() -> Iterator[RabbitMQVhost]:
    parts = urlsplit(RABBITMQ_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), timeout=2):
            pass
    except OSError as error:
        _broker_missing(f"{parts.hostname}:{parts.port or 5672}: {error}")
    if shutil.which("rabbitmqctl") is None:
        _broker_missing("rabbitmqctl is not on PATH (needed to create the test virtual host)")
    name = f"test-{uuid.uuid4().hex[:12]}"
    try:
        _rabbitmqctl("add_vhost", name)
        _rabbitmqctl("set_permissions", "-p", name, parts.username or "guest", ".*", ".*", ".*")
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        _broker_missing(str(error))
    url = urlunsplit((parts.scheme, parts.netloc, "/" + quote(name, safe=""), "", ""))
    try:
        yield RabbitMQVhost(name, url)
    finally:
        _rabbitmqctl("delete_vhost", name)


@pytest.fixture(scope="session")
def rabbitmq_vhost() -> Iterator[RabbitMQVhost]:
    """A virtual host for this test session (suites empty its queues between tests)."""
    yield from _new_vhost()


@pytest.fixture
def fresh_rabbitmq_vhost() -> Iterator[RabbitMQVhost]:
    """A virtual host for one test (system tests whose services declare and fill durable queues)."""
    yield from _new_vhost()


async def rabbitmqctl(*arguments: str) -> str:
    """rabbitmqctl from async code (tests that act on the broker, e.g. close connections)."""
    process = await asyncio.create_subprocess_exec(
        "rabbitmqctl",
        "--quiet",
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), RABBITMQCTL_TIMEOUT)
    if process.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(arguments)} failed: {stderr.decode().strip()}")
    return stdout.decode()


async def delete_all_queues(vhost: RabbitMQVhost) -> None:
    listing = await rabbitmqctl("list_queues", "-p", vhost.name, "--no-table-headers", "name")
    names = [line.strip() for line in listing.splitlines() if line.strip()]
    if not names:
        return
    connection = await aio_pika.connect(vhost.url)
    async with connection:
        channel = await connection.channel()
        for name in names:
            await channel.queue_delete(name)
