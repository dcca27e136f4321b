"""Three private RabbitMQ nodes of the tests' own, clustered on loopback, for the tests that lose a node.

The nodes are `tests.rabbitmq_nodes` (each its own name, ports, config file, feature-flags file, data and
log directories owned by the `rabbitmq` user; the machine's default broker is never touched). The tests
kill (`kill -9`), stop and start them; the session stops every node by its PID whatever happens. The
nodes run with `pause_minority`: a node that finds itself in a minority stops serving (and closes its
clients' connections) rather than split the cluster's state.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.private_rabbitmq import _missing
from tests.rabbitmq_nodes import BrokerCluster
from tests.rabbitmq_nodes import ClusterNode
from tests.rabbitmq_nodes import form_cluster
from tests.rabbitmq_nodes import stop_by_pid

__all__ = ["BrokerCluster", "ClusterNode", "broker_cluster", "cluster_broker"]


@pytest.fixture(scope="session")
def broker_cluster() -> Iterator[BrokerCluster]:
    """Three clustered private nodes for the session (forming it takes ~30 s); stopped by PID at the end."""
    if shutil.which("rabbitmq-server") is None or shutil.which("rabbitmqctl") is None:
        _missing("rabbitmq-server / rabbitmqctl not on PATH")
    directory = Path(tempfile.mkdtemp(prefix="rabbitmq-cluster-"))
    cluster: BrokerCluster | None = None
    try:
        try:
            cluster = form_cluster(directory)
        except (OSError, RuntimeError, subprocess.SubprocessError) as error:
            stop_by_pid(directory)
            _missing(f"cannot form a three-node cluster: {error}")
        assert cluster is not None
        yield cluster
    finally:
        stop_by_pid(directory)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def cluster_broker(broker_cluster: BrokerCluster) -> Iterator[BrokerCluster]:
    """The three nodes, all running before the test and again after it whatever it did."""
    broker_cluster.ensure_all_running()
    try:
        yield broker_cluster
    finally:
        broker_cluster.ensure_all_running()
