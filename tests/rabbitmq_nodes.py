"""RabbitMQ nodes of the tests' own (no pytest here: the benchmarks start them too).

The machine's default broker is shared (other suites, other people): it is never stopped, never joined. A
private node has its own name, ports, config file (the machine's pins the default listener to 5672),
plugins file (empty: no management listener to clash with), feature-flags file, data and log directories,
owned by the `rabbitmq` user. `form_cluster` clusters three of them on loopback; every node is stopped by
its PID at the end whatever happens (`stop_by_pid`).
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aio_pika

from tests.e2e.harness import free_port

START_TIMEOUT_S = 90
CTL_TIMEOUT_S = 90


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


def prepare(directory: Path, *, node: str | None = None, config: str = "") -> dict[str, str]:
    """A node's own name, ports, config file (the machine's pins the default listener), plugins file,
    feature-flags file, data and log directories, all under `directory` and owned by `rabbitmq`."""
    port, dist_port = free_port(), free_port()
    node = node or f"outage-{uuid.uuid4().hex[:8]}@localhost"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "rabbitmq.conf").write_text(
        f"listeners.tcp.local = 127.0.0.1:{port}\nloopback_users = none\n{config}"
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
            "RABBITMQ_FEATURE_FLAGS_FILE": str(directory / "feature_flags"),
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


def launch(broker: PrivateBroker) -> None:
    """Start the node's Erlang VM (again: data, name and ports are kept) and wait until it serves."""
    subprocess.run(
        ["rabbitmq-server", "-detached"], env=broker.env, timeout=60, check=True, capture_output=True
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:  # `-detached` returns before the node registers; await_startup needs it registered
        try:
            broker.ctl("await_startup", timeout=START_TIMEOUT_S)
            return
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


# --- three nodes, clustered ---------------------------------------------------------------------
NODES = 3
STOP_TIMEOUT_S = 30
CLUSTER_CONFIG = "cluster_partition_handling = pause_minority\n"


@dataclass
class ClusterNode:
    broker: PrivateBroker
    index: int

    @property
    def name(self) -> str:
        return self.broker.node

    @property
    def port(self) -> int:
        return self.broker.port

    def pid(self) -> int | None:
        """The Erlang VM's process id (from the node's PID file), if it runs."""
        path = self.broker.directory / "pid"
        try:
            text = path.read_text().strip()
        except OSError:
            return None
        if not text.isdigit():
            return None
        pid = int(text)
        return pid if _alive(pid) else None

    def running(self) -> bool:
        return self.pid() is not None and self.broker.accepts_connections()

    def kill(self) -> None:
        """`kill -9` of the node's VM; returns once the process is gone."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        """A clean stop of the node (SIGTERM to its VM); returns once the process is gone."""
        self._signal(signal.SIGTERM)

    def start(self) -> None:
        """Start the node again (same name, data and ports): it rejoins the cluster by itself."""
        launch(self.broker)

    def _signal(self, number: int) -> None:
        pid = self.pid()
        if pid is None:
            return
        os.kill(pid, number)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while _alive(pid):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + STOP_TIMEOUT_S
            time.sleep(0.05)  # polling the process table for the exit, not a guessed time
        while self.broker.accepts_connections() and time.monotonic() < deadline:
            time.sleep(0.05)  # the listener closes with the process


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (not reaped yet: `-detached` made it a child of init, which reaps it) counts as gone.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@dataclass
class BrokerCluster:
    nodes: list[ClusterNode]
    directory: Path

    def urls(self, vhost: str, *, first: int = 0) -> list[str]:
        """One AMQP URL per node for `vhost`, starting with node `first` (then the others in turn)."""
        order = [self.nodes[(first + offset) % len(self.nodes)] for offset in range(len(self.nodes))]
        return [f"amqp://guest:guest@127.0.0.1:{node.port}/{vhost}" for node in order]

    def any_running(self) -> ClusterNode:
        return next(node for node in self.nodes if node.running())

    def ctl(self, *arguments: str) -> str:
        """rabbitmqctl on a node that runs."""
        return self.any_running().broker.ctl(*arguments)

    def named(self, name: str) -> ClusterNode:
        return next(node for node in self.nodes if node.name == name)

    def queue_leader(self, vhost: str, queue: str) -> ClusterNode:
        """The node that leads quorum queue `queue` now."""
        listing = self.ctl("list_queues", "-p", vhost, "--no-table-headers", "name", "leader")
        for line in listing.splitlines():
            fields = line.split()
            if len(fields) == 2 and fields[0] == queue:
                return self.named(fields[1])
        raise LookupError(f"queue {queue} not found in {vhost}: {listing!r}")

    def running_members(self) -> set[str]:
        """The nodes the cluster says are running."""
        status = self.ctl("cluster_status", "--formatter", "json")
        return set(json.loads(status)["running_nodes"])

    def ensure_all_running(self) -> None:
        """Whatever a test did: every node up again and in the cluster (so the next test finds three)."""
        for node in self.nodes:
            if not node.running():
                if node.pid() is not None:  # a VM without a listener (stopped app): start the app
                    node.broker.ctl("start_app")
                    node.broker.ctl("await_startup")
                else:
                    node.start()


def form_cluster(directory: Path) -> BrokerCluster:
    """Three private nodes under `directory`, started in parallel and clustered (~30-60 s)."""
    tag = uuid.uuid4().hex[:6]
    directory.chmod(0o755)  # the nodes run as `rabbitmq`: their directories must be reachable
    brokers = []
    for index in range(NODES):
        node_directory = directory / f"node-{index + 1}"
        env = prepare(node_directory, node=f"cluster-{tag}-{index + 1}@localhost", config=CLUSTER_CONFIG)
        brokers.append(
            PrivateBroker(env["RABBITMQ_NODENAME"], int(env["RABBITMQ_NODE_PORT"]), node_directory, env)
        )
    cluster = BrokerCluster([ClusterNode(broker, index) for index, broker in enumerate(brokers)], directory)
    with ThreadPoolExecutor(NODES) as pool:  # each start takes ~10 s: in parallel
        list(pool.map(launch, brokers))
    first = brokers[0]
    for broker in brokers[1:]:
        broker.ctl("stop_app")
        broker.ctl("join_cluster", first.node)
        broker.ctl("start_app")
        broker.ctl("await_startup")
    members = cluster.running_members()
    if members != {broker.node for broker in brokers}:
        raise RuntimeError(f"the cluster did not form: running nodes {sorted(members)}")
    return cluster


def stop_by_pid(directory: Path) -> None:
    """Stop every node by its PID (SIGTERM, then SIGKILL), whatever state the test left it in."""
    for node_directory in sorted(directory.glob("node-*")):
        pid_file = node_directory / "pid"
        text = pid_file.read_text().strip() if pid_file.exists() else ""
        if not text.isdigit():
            continue
        pid = int(text)
        for number in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.kill(pid, number)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + (STOP_TIMEOUT_S if number == signal.SIGTERM else 10)
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if not _alive(pid):
                break
