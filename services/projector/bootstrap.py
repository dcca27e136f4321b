"""Composition root of the projector process (`python -m services.projector`)."""

from __future__ import annotations

import asyncio
import logging

from contracts.topology import PROJECTOR
from infrastructure.adapters import make_bus, make_store
from infrastructure.bus.retry import connect_with_retry
from infrastructure.process import configure_logging, keep_alive_file, wait_for_stop_signal
from infrastructure.settings import CommonSettings
from services.projector.projector import Projector

logger = logging.getLogger(__name__)


class ProjectorSettings(CommonSettings):
    pass


async def main(settings: ProjectorSettings) -> None:
    configure_logging(settings.log_level, service="projector")
    store = make_store(settings)
    bus = make_bus(settings, connection_name=f"projector:{settings.instance_id or 'main'}")
    await store.open()
    try:
        await connect_with_retry(bus)
        projector = Projector(store)
        subscription = await bus.consume_batches(PROJECTOR, projector.on_events, max_batch=256)
        logger.info("projector consuming %s", PROJECTOR.name)
        alive = asyncio.create_task(keep_alive_file(settings.liveness_file))
        await wait_for_stop_signal()
        alive.cancel()
        await subscription.cancel()
    finally:
        await bus.close()
        await store.close()
