"""Composition root of the scheduler process (`python -m services.scheduler`)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket

from infrastructure.adapters import make_bus, make_election, make_run_claims, make_store
from infrastructure.bus.retry import connect_with_retry
from infrastructure.process import configure_logging, keep_alive_file, wait_for_stop_signal
from services.scheduler.catalogue import load_definitions
from services.scheduler.service import SchedulerService
from services.scheduler.settings import SchedulerSettings

logger = logging.getLogger(__name__)


async def main(settings: SchedulerSettings) -> None:
    configure_logging(settings.log_level, service="scheduler")
    definitions = load_definitions(settings)  # settings errors stop start-up here, before connecting
    scheduler_id = settings.instance_id or f"{socket.gethostname()}-{os.getpid()}"
    store = make_store(settings)
    bus = make_bus(settings, connection_name=f"scheduler:{scheduler_id}")
    claims = make_run_claims(settings)
    await store.open()
    await claims.open()
    try:
        await connect_with_retry(bus)
        service = SchedulerService(
            bus=bus,
            store=store,
            election=make_election(settings, connection_name=f"scheduler:{scheduler_id}"),
            definitions=definitions,
            settings=settings,
            scheduler_id=scheduler_id,
            claims=claims,
        )
        await service.start()
        alive = asyncio.create_task(keep_alive_file(settings.liveness_file, status=service.health))
        await wait_for_stop_signal()
        alive.cancel()
        await service.stop()
    finally:
        await bus.close()
        await claims.close()
        await store.close()
