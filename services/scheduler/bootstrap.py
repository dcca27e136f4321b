"""Composition root of the scheduler process (`python -m services.scheduler`)."""

from __future__ import annotations

import logging
import os
import socket

from domain.catalogue_definitions import load_definitions
from infrastructure.adapters import make_bus
from infrastructure.adapters import make_election
from infrastructure.adapters import make_run_claims
from infrastructure.adapters import make_store
from infrastructure.adapters import make_trade_calendars
from infrastructure.bus.port import Bus
from infrastructure.bus.retry import connect_with_retry
from infrastructure.process import configure_logging
from infrastructure.process import run_until_stop_signal
from infrastructure.store.claims_port import RunClaims
from services.scheduler.desk import SchedulerReads
from services.scheduler.service import SchedulerService
from services.scheduler.settings import SchedulerSettings

logger = logging.getLogger(__name__)


def build_scheduler(
    settings: SchedulerSettings, *, bus: Bus, store: SchedulerReads, claims: RunClaims, scheduler_id: str
) -> SchedulerService:
    """The scheduler from its settings (used by this process and by the embedded mode).

    The job definitions are loaded here: a settings error stops start-up before anything connects.
    """
    return SchedulerService(
        bus=bus,
        store=store,
        election=make_election(settings, connection_name=f"scheduler:{scheduler_id}"),
        definitions=load_definitions(settings),
        settings=settings,
        scheduler_id=scheduler_id,
        claims=claims,
        calendars=make_trade_calendars(settings),
    )


async def main(settings: SchedulerSettings) -> None:
    """Run a scheduler process: campaign for leadership, lead or stand by, until a stop signal."""
    configure_logging(settings.log_level, service="scheduler")
    scheduler_id = settings.instance_id or f"{socket.gethostname()}-{os.getpid()}"
    store = make_store(settings)
    bus = make_bus(settings, connection_name=f"scheduler:{scheduler_id}")
    claims = make_run_claims(settings)
    service = build_scheduler(settings, bus=bus, store=store, claims=claims, scheduler_id=scheduler_id)
    await store.open()
    await claims.open()
    try:
        await connect_with_retry(bus)
        await service.start()
        await run_until_stop_signal(settings.liveness_file, service.health)
        await service.stop()
    finally:
        await bus.close()
        await claims.close()
        await store.close()
