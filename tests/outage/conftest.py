"""The distributed system as real processes on a private RabbitMQ node that the tests stop and start."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import ROOT
from tests.e2e.harness import ApiClient
from tests.e2e.harness import ServiceProcess
from tests.e2e.harness import base_env
from tests.e2e.harness import free_port
from tests.private_rabbitmq import PrivateBroker
from tests.private_rabbitmq import outage_broker
from tests.private_rabbitmq import private_broker

__all__ = ["outage_broker", "private_broker"]

FAST = {
    "SCHEDULER_HEARTBEAT_INTERVAL_S": "0.5",
    "SCHEDULER_WORKER_HEARTBEAT_INTERVAL_S": "0.5",
    "SCHEDULER_RUN_HEARTBEAT_TIMEOUT_S": "3",
    "SCHEDULER_LEADER_RETRY_S": "0.5",
    "SCHEDULER_MAINTENANCE_INTERVAL_S": "0.2",
    "SCHEDULER_HOLD_DELIVERY_S": "1",
    "SCHEDULER_PROJECTOR_STATE_INTERVAL_S": "0.5",
    "SCHEDULER_WORKER_CAPACITY": "10",
}


@dataclass
class OutageCluster:
    tmp_path: Path
    env: dict[str, str]
    port: int
    broker: PrivateBroker
    vhost: str
    processes: list[ServiceProcess] = field(default_factory=list)

    def start(self, module: str, name: str, **env: str) -> ServiceProcess:
        process = ServiceProcess(
            module, {**self.env, "SCHEDULER_INSTANCE_ID": name, **env}, self.tmp_path, name=name
        )
        self.processes.append(process)
        return process

    def named(self, name: str) -> ServiceProcess:
        return next(process for process in self.processes if process.name == name)

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop()

    def dump_logs(self) -> str:
        return "".join(f"\n----- {p.name} -----\n{p.output()[-6000:]}" for p in self.processes)

    def store_query(self, sql: str) -> list[tuple[Any, ...]]:
        path = self.tmp_path / "data" / "scheduler.sqlite3"
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as connection:
            return list(connection.execute(sql))

    def replay_verify(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "services.projector", "replay", "--verify"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


def record_figures(test: str, **figures: object) -> None:
    """Print the measured figures (shown with `-s`, and in the report of a failure)."""
    print(f"\noutage figures: {json.dumps({'test': test, **figures})}")


@pytest.fixture
def outage_vhost(outage_broker: PrivateBroker) -> Iterator[str]:
    name = f"outage-{uuid.uuid4().hex[:8]}"
    outage_broker.ctl("add_vhost", name)
    outage_broker.ctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    try:
        yield f"amqp://guest:guest@127.0.0.1:{outage_broker.port}/{name}"
    finally:
        outage_broker.ensure_running()
        outage_broker.ctl("delete_vhost", name)


@pytest.fixture
def outage_cluster(
    request: pytest.FixtureRequest, tmp_path: Path, outage_broker: PrivateBroker, outage_vhost: str
) -> Iterator[OutageCluster]:
    port = free_port()
    env = base_env(
        tmp_path / "data",
        SCHEDULER_PORT=str(port),
        SCHEDULER_BUS="rabbitmq",
        SCHEDULER_RABBITMQ_URL=outage_vhost,
        SCHEDULER_STORE="sqlite",
        **FAST,
    )
    cluster = OutageCluster(tmp_path, env, port, outage_broker, outage_vhost.rsplit("/", 1)[-1])
    try:
        yield cluster
    finally:
        cluster.stop_all()
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            print(cluster.dump_logs())


@pytest.fixture
async def outage_api(outage_cluster: OutageCluster) -> AsyncIterator[ApiClient]:
    api_process = outage_cluster.start("services.api", "api")
    client = ApiClient(f"http://127.0.0.1:{outage_cluster.port}")
    try:
        await client.wait_ready([api_process])
        await client.login()
        yield client
    finally:
        await client.close()
