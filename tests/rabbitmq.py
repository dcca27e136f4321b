"""A RabbitMQ virtual host per test session, so tests never see production queues or each other's.

Created with rabbitmqctl (no management plugin needed) and deleted at the end. Without a reachable broker
the tests that need it are skipped, except on CI (`CI=true`), where they fail: an integration suite that
silently skips proves nothing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

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


@pytest.fixture(scope="session")
def rabbitmq_vhost() -> Iterator[RabbitMQVhost]:
    """A fresh virtual host for this test session (rabbitmqctl: no management plugin needed)."""
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
