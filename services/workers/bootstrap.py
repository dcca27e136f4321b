"""Composition root of a worker process (`python -m services.workers`); run as many as needed."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Sequence

from infrastructure.adapters import make_bus
from infrastructure.adapters import make_run_claims
from infrastructure.bus.port import Bus
from infrastructure.bus.retry import connect_with_retry
from infrastructure.process import configure_logging
from infrastructure.process import health_line
from infrastructure.process import run_until_stop_signal
from infrastructure.store.claims_port import RunClaims
from services.workers.catalogue.environment import JobEnvironment
from services.workers.catalogue.settings import CatalogueSettings
from services.workers.job_api import JobFunction
from services.workers.kinds import job_kinds
from services.workers.run_log_redaction import configured_secrets
from services.workers.settings import WorkerSettings
from services.workers.worker import Worker

logger = logging.getLogger(__name__)


def build_worker(
    settings: WorkerSettings,
    bus: Bus,
    kinds: dict[str, JobFunction],
    *,
    claims: RunClaims,
    worker_id: str,
    pool: str | None = None,
    secrets: Sequence[str] = (),
) -> Worker:
    """A worker from its settings.

    Used by this process and by the embedded mode; `pool` defaults to `settings.worker_pool`; `secrets` are
    redacted from the runs' logs (`configured_secrets`).
    """
    return Worker(
        bus,
        kinds,
        worker_id=worker_id,
        claims=claims,
        capacity=settings.worker_capacity,
        timings=settings.timings(),
        pool=settings.worker_pool if pool is None else pool,
        run_logs=settings.run_logs,
        secrets=secrets,
    )


async def main(settings: WorkerSettings) -> None:
    """Run a worker process: run its pool's runs until a stop signal, then stop the worker gracefully."""
    configure_logging(settings.log_level, service="worker")
    worker_id = settings.instance_id or f"{socket.gethostname()}-{os.getpid()}"
    bus = make_bus(settings, connection_name=f"worker:{worker_id}")
    claims = make_run_claims(settings)
    environment = JobEnvironment.from_settings(CatalogueSettings())
    await claims.open()
    try:
        await connect_with_retry(bus)
        worker = build_worker(
            settings,
            bus,
            job_kinds(environment),
            claims=claims,
            worker_id=worker_id,
            secrets=configured_secrets(settings, environment.settings),
        )
        await worker.start()
        logger.info("worker %s ready (capacity %d)", worker_id, settings.worker_capacity)
        await run_until_stop_signal(settings.liveness_file, lambda: health_line(bus.unreachable_since))
        await worker.stop()
    finally:
        await bus.close()
        await claims.close()
        await environment.aclose()
