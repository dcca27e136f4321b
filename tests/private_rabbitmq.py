"""A RabbitMQ node of the tests' own, for the tests that stop and start the broker (outages).

The machine's default broker is shared (other suites, other people): it is never stopped. This node has its
own name, ports, data and log directories and an empty plugin list (no management listener to clash with),
and is stopped at the end whatever happens. `stop_app`/`start_app` make the outage: the Erlang node keeps
running, so the broker comes back quickly with its durable queues and messages.

Without `rabbitmq-server` the tests that need it are skipped, except on CI (`CI=true`), where they fail.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aio_pika
import pytest

from tests.e2e.harness import free_port

START_TIMEOUT_S = 90
CTL_TIMEOUT_S = 90


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"a private RabbitMQ node is required on CI (CI=true): {reason}", pytrace=False)
    pytest.skip(f"cannot start a private RabbitMQ node: {reason}")


@dataclass
class PrivateBroker:
    node: str
    port: int
    directory: Path
    env: dict[str, str]
    start_lead_s: float = 6.0  # how long the last `start_app` took to let clients in (to size outages)
    _command: asyncio.Task[str] | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def ctl(self, *arguments: str, timeout: float = CTL_TIMEOUT_S) -> str:
        completed = subprocess.run(
            ["rabbitmqctl", "--quiet", "-n", self.node, *arguments],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self.env,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(arguments)}: {completed.stderr.strip()}")
        return completed.stdout

    async def actl(self, *arguments: str) -> str:
        return await asyncio.to_thread(self.ctl, *arguments)

    def accepts_connections(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    async def stop_app(self) -> float:
        """The outage begins: every connection is closed, nothing is accepted until `start_app`. Returns
        (monotonic) when the broker stopped accepting connections."""
        return await self._while_polling(self.actl("stop_app"), self._port_closed)

    async def start_app(self, vhost: str = "/") -> float:
        """The broker returns (durable queues and their messages with it). Returns (monotonic) when a new
        AMQP client could open `vhost` again (and `rabbitmqctl start_app` has returned)."""
        asked = time.monotonic()
        back = await self._while_polling(
            self.actl("start_app"), lambda: self._amqp_opens(vhost), wait_for_command=False
        )
        self.start_lead_s = back - asked
        return back

    async def settled(self) -> None:
        """Wait for the last rabbitmqctl command (which may still be exiting after the broker is back)."""
        task, self._command = self._command, None
        if task is not None:
            await task

    async def _amqp_opens(self, vhost: str) -> bool:
        try:
            connection = await aio_pika.connect(f"{self.url}{quote(vhost, safe='')}", timeout=1)
        except (OSError, TimeoutError, aio_pika.exceptions.AMQPError, RuntimeError):
            return False
        await connection.close()
        return True

    async def _port_closed(self) -> bool:
        return not await asyncio.to_thread(self.accepts_connections)

    async def _while_polling(
        self,
        command: Coroutine[Any, Any, str],
        reached: Callable[[], Awaitable[bool]],
        *,
        wait_for_command: bool = True,
    ) -> float:
        """Run `command`, noting (monotonic) when `reached()` first holds."""
        await self.settled()
        task = asyncio.create_task(command)
        seen: float | None = None
        while seen is None:
            if await reached():
                seen = time.monotonic()
            elif task.done():
                task.result()  # raises if rabbitmqctl failed
                if not await reached():
                    raise RuntimeError("rabbitmqctl is done but the broker is not in the state it should be")
            else:
                await asyncio.sleep(0.05)  # polling the broker, not waiting for a guessed time
        self._command = task
        if wait_for_command:
            await self.settled()
        return seen

    def ensure_running(self) -> None:
        """Whatever a test did: the app started again (so the next test finds a broker)."""
        if not self.accepts_connections():
            self.ctl("start_app")
            self.ctl("await_startup")


def _prepare(directory: Path) -> dict[str, str]:
    port, dist_port = free_port(), free_port()
    node = f"outage-{uuid.uuid4().hex[:8]}@localhost"
    (directory / "rabbitmq.conf").write_text(
        f"listeners.tcp.local = 127.0.0.1:{port}\nloopback_users = none\n"
    )
    (directory / "enabled_plugins").write_text("[].\n")
    env = dict(os.environ)
    env.update(
        {
            "RABBITMQ_NODENAME": node,
            "RABBITMQ_NODE_PORT": str(port),
            "RABBITMQ_DIST_PORT": str(dist_port),
            "RABBITMQ_MNESIA_BASE": str(directory / "mnesia"),
            "RABBITMQ_LOG_BASE": str(directory / "log"),
            "RABBITMQ_CONFIG_FILE": str(directory / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(directory / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(directory / "pid"),
            "RABBITMQ_PLUGINS_EXPAND_DIR": str(directory / "plugins-expand"),
        }
    )
    if os.geteuid() == 0:  # the packaged scripts run the node as the rabbitmq user
        try:
            owner = pwd.getpwnam("rabbitmq")
        except KeyError:
            owner = None
        if owner is not None:
            directory.chmod(0o755)
            for path in (directory, *directory.iterdir()):
                os.chown(path, owner.pw_uid, owner.pw_gid)
    return env


def _start(directory: Path) -> PrivateBroker:
    env = _prepare(directory)
    broker = PrivateBroker(env["RABBITMQ_NODENAME"], int(env["RABBITMQ_NODE_PORT"]), directory, env)
    subprocess.run(["rabbitmq-server", "-detached"], env=env, timeout=60, check=True, capture_output=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:  # `-detached` returns before the node registers; await_startup needs it registered
        try:
            broker.ctl("await_startup", timeout=START_TIMEOUT_S)
            return broker
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


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
