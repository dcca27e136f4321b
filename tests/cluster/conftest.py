"""The distributed system on three clustered RabbitMQ nodes of the tests' own (`tests.private_cluster`).

Every service is given the three nodes' URLs, each process in another order, so that losing any node
takes some of their connections with it: those reconnect to the next node of their list.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.harness import ApiClient
from tests.e2e.harness import ServiceProcess
from tests.e2e.harness import base_env
from tests.e2e.harness import free_port
from tests.outage.conftest import FAST
from tests.outage.conftest import OutageCluster
from tests.private_cluster import BrokerCluster
from tests.private_cluster import broker_cluster
from tests.private_cluster import cluster_broker

__all__ = ["broker_cluster", "cluster_broker"]


@dataclass
class ClusterSystem(OutageCluster):
    """The system's processes (API, projector, schedulers, workers) on the three nodes."""

    nodes: BrokerCluster | None = None

    @property
    def cluster(self) -> BrokerCluster:
        assert self.nodes is not None
        return self.nodes

    def start_on(self, module: str, name: str, *, first: int) -> ServiceProcess:
        """Start a service whose node list begins with node `first`."""
        urls = ",".join(self.cluster.urls(self.vhost, first=first))
        return self.start(module, name, SCHEDULER_RABBITMQ_URL=urls)


@pytest.fixture
def cluster_vhost(cluster_broker: BrokerCluster) -> Iterator[str]:
    name = f"cluster-{uuid.uuid4().hex[:8]}"
    cluster_broker.ctl("add_vhost", name)
    cluster_broker.ctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*")
    try:
        yield name
    finally:
        cluster_broker.ensure_all_running()
        cluster_broker.ctl("delete_vhost", name)


@pytest.fixture
def cluster_system(
    request: pytest.FixtureRequest, tmp_path: Path, cluster_broker: BrokerCluster, cluster_vhost: str
) -> Iterator[ClusterSystem]:
    port = free_port()
    env = base_env(
        tmp_path / "data",
        SCHEDULER_PORT=str(port),
        SCHEDULER_BUS="rabbitmq",
        SCHEDULER_RABBITMQ_URL=",".join(cluster_broker.urls(cluster_vhost)),
        SCHEDULER_STORE="sqlite",
        **FAST,
    )
    system = ClusterSystem(
        tmp_path, env, port, cluster_broker.nodes[0].broker, cluster_vhost, nodes=cluster_broker
    )
    try:
        yield system
    finally:
        system.stop_all()
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            print(system.dump_logs())
            print(_queues(cluster_broker, cluster_vhost))


@pytest.fixture
async def cluster_api(cluster_system: ClusterSystem) -> AsyncIterator[ApiClient]:
    api_process = cluster_system.start_on("services.api", "api", first=2)
    client = ApiClient(f"http://127.0.0.1:{cluster_system.port}")
    try:
        await client.wait_ready([api_process])
        await client.login()
        yield client
    finally:
        await client.close()


def _queues(cluster: BrokerCluster, vhost: str) -> str:
    """The quorum queues' leaders, online members and depths (for the report of a failure)."""
    try:
        return cluster.ctl("list_queues", "-p", vhost, "name", "type", "leader", "online", "messages")
    except (RuntimeError, StopIteration) as error:
        return f"queues not listed: {error}"
