"""The distributed system as real processes on RabbitMQ (a virtual host per test) and one SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import pytest

from infrastructure.store.sqlite_store import SQLiteStore
from tests.e2e.harness import ApiClient
from tests.e2e.harness import ServiceProcess
from tests.e2e.harness import base_env
from tests.e2e.harness import free_port
from tests.rabbitmq import RabbitMQVhost

FAST_LIFECYCLE = {
    "SCHEDULER_HEARTBEAT_INTERVAL_S": "0.5",
    "SCHEDULER_WORKER_HEARTBEAT_INTERVAL_S": "0.5",
    "SCHEDULER_RUN_HEARTBEAT_TIMEOUT_S": "3",
    "SCHEDULER_LEADER_RETRY_S": "0.5",
    "SCHEDULER_CANCEL_GRACE_S": "2",
    "SCHEDULER_MAINTENANCE_INTERVAL_S": "0.2",
    "SCHEDULER_HOLD_DELIVERY_S": "1",
}


@dataclass
class Cluster:
    """Starts services on demand; everything it started is stopped (and its log shown on failure)."""

    tmp_path: Path
    env: dict[str, str]
    port: int
    processes: list[ServiceProcess] = field(default_factory=list)

    def start(self, module: str, name: str, **env: str) -> ServiceProcess:
        process = ServiceProcess(
            module, {**self.env, "SCHEDULER_INSTANCE_ID": name, **env}, self.tmp_path, name=name
        )
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    def dump_logs(self) -> str:
        return "".join(f"\n----- {p.name} -----\n{p.output()[-5000:]}" for p in self.processes)


@pytest.fixture
def cluster_env(tmp_path: Path, fresh_rabbitmq_vhost: RabbitMQVhost) -> dict[str, str]:
    return base_env(
        tmp_path / "data",
        SCHEDULER_BUS="rabbitmq",
        SCHEDULER_RABBITMQ_URL=fresh_rabbitmq_vhost.url,
        SCHEDULER_STORE="sqlite",
        **FAST_LIFECYCLE,
    )


@pytest.fixture
def cluster(request: pytest.FixtureRequest, tmp_path: Path, cluster_env: dict[str, str]) -> Iterator[Cluster]:
    port = free_port()
    running = Cluster(tmp_path, {**cluster_env, "SCHEDULER_PORT": str(port)}, port)
    with ExitStack() as stack:
        stack.callback(running.stop_all)
        yield running
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            print(running.dump_logs())


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    """The shared SQLite file, read by the test as the API would."""
    reader = SQLiteStore(tmp_path / "data" / "scheduler.sqlite3")
    await reader.open()
    try:
        yield reader
    finally:
        await reader.close()


@pytest.fixture
async def api(cluster: Cluster) -> AsyncIterator[ApiClient]:
    api_process = cluster.start("services.api", "api")
    client = ApiClient(f"http://127.0.0.1:{cluster.port}")
    try:
        await client.wait_ready([api_process])
        await client.login()
        yield client
    finally:
        await client.close()
