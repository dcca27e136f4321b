"""Fixtures of the projector suite: the lifecycle suite's cluster of real processes on a RabbitMQ virtual host
of their own and one SQLite file (`tests/lifecycle/conftest.py`), reused as they are.

`store` (the shared SQLite file, read as the API reads it) is overridden by the modules that bring their own
store (`test_replay.py`).
"""

from __future__ import annotations

from tests.lifecycle.conftest import Cluster
from tests.lifecycle.conftest import cluster
from tests.lifecycle.conftest import cluster_env
from tests.lifecycle.conftest import store

__all__ = ["Cluster", "cluster", "cluster_env", "store"]
