"""The web client's command-then-reload order against the real services, in both run modes.

Embedded: one `python -m services.embedded` process. Distributed: api, scheduler, projector and one worker
as processes on real RabbitMQ (a throw-away virtual host), one SQLite file. The worker runs one run at a
time, so that a run can wait in the queue and be cancelled there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.client_replay import replay_the_client
from tests.e2e.harness import ApiClient
from tests.e2e.harness import ServiceProcess
from tests.e2e.harness import base_env
from tests.e2e.harness import free_port
from tests.e2e.harness import running
from tests.rabbitmq import RabbitMQVhost

pytestmark = pytest.mark.e2e

# Generous on a loaded machine: the test is about what the reload shows, not how fast (see `bench/`).
SETTINGS = {"SCHEDULER_WORKER_CAPACITY": "1", "SCHEDULER_COMMAND_WAIT_S": "10"}


async def client_of(port: int, processes: list[ServiceProcess]) -> ApiClient:
    client = ApiClient(f"http://127.0.0.1:{port}")
    await client.wait_ready(processes)
    await client.login()
    await client.wait_for_job("pipeline_canary")
    return client


@pytest.fixture
async def embedded(tmp_path: Path) -> AsyncIterator[ApiClient]:
    port = free_port()
    env = base_env(tmp_path / "data", SCHEDULER_PORT=str(port), **SETTINGS)
    with running([ServiceProcess("services.embedded", env, tmp_path)]) as processes:
        client = await client_of(port, processes)
        try:
            yield client
        finally:
            await client.close()


@pytest.fixture
async def distributed(tmp_path: Path, fresh_rabbitmq_vhost: RabbitMQVhost) -> AsyncIterator[ApiClient]:
    port = free_port()
    env = base_env(
        tmp_path / "data",
        SCHEDULER_PORT=str(port),
        SCHEDULER_BUS="rabbitmq",
        SCHEDULER_RABBITMQ_URL=fresh_rabbitmq_vhost.url,
        SCHEDULER_STORE="sqlite",
        **SETTINGS,
    )
    processes = [
        ServiceProcess(module, env, tmp_path)
        for module in ("services.projector", "services.workers", "services.scheduler", "services.api")
    ]
    with running(processes):
        client = await client_of(port, processes)
        try:
            yield client
        finally:
            await client.close()


async def test_each_reload_after_a_command_shows_it_in_the_embedded_mode(embedded: ApiClient) -> None:
    await replay_the_client(embedded.http)


@pytest.mark.integration
async def test_each_reload_after_a_command_shows_it_on_rabbitmq(distributed: ApiClient) -> None:
    await replay_the_client(distributed.http)
