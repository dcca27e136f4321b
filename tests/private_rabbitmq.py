"""A RabbitMQ node of the tests' own, for the tests that stop and start the broker (outages).

The machine's default broker is shared (other suites, other people): it is never stopped. This node has its
own name, ports, data and log directories and an empty plugin list (no management listener to clash with),
and is stopped at the end whatever happens. `stop_app`/`start_app` make the outage: the Erlang node keeps
running, so the broker comes back quickly with its durable queues and messages.

The node itself is `tests.rabbitmq_nodes.PrivateBroker`. Without `rabbitmq-server` the tests that need it
are skipped, except on CI (`CI=true`), where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rabbitmq_nodes import PrivateBroker
from tests.rabbitmq_nodes import launch
from tests.rabbitmq_nodes import prepare

__all__ = ["PrivateBroker", "launch", "outage_broker", "prepare", "private_broker"]


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"a private RabbitMQ node is required on CI (CI=true): {reason}", pytrace=False)
    pytest.skip(f"cannot start a private RabbitMQ node: {reason}")


@pytest.fixture(scope="session")
def private_broker() -> Iterator[PrivateBroker]:
    """One private node for the session (starting one takes ~10 s); tests leave it running."""
    if shutil.which("rabbitmq-server") is None or shutil.which("rabbitmqctl") is None:
        _missing("rabbitmq-server / rabbitmqctl not on PATH")
    directory = Path(tempfile.mkdtemp(prefix="rabbitmq-outage-"))
    broker: PrivateBroker | None = None
    try:
        try:
            broker = _start(directory)
        except (OSError, RuntimeError, subprocess.SubprocessError) as error:
            _missing(str(error))
        assert broker is not None
        yield broker
    finally:
        _stop(broker, directory)


def _stop(broker: PrivateBroker | None, directory: Path) -> None:
    if broker is not None:
        try:
            broker.ctl("stop", timeout=60)
        except (RuntimeError, subprocess.SubprocessError):
            pid = (directory / "pid").read_text().strip() if (directory / "pid").exists() else ""
            if pid.isdigit():
                subprocess.run(["kill", "-9", pid], check=False)
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def outage_broker(private_broker: PrivateBroker) -> Iterator[PrivateBroker]:
    """The private node, started again after the test whatever it did."""
    private_broker.ensure_running()
    try:
        yield private_broker
    finally:
        private_broker.ensure_running()


def _start(directory: Path) -> PrivateBroker:
    env = prepare(directory)
    broker = PrivateBroker(env["RABBITMQ_NODENAME"], int(env["RABBITMQ_NODE_PORT"]), directory, env)
    launch(broker)
    return broker
