"""Composition root of the alerter process (`python -m services.alerter`).

Several alerters may run: the alerter queue is a single-active-consumer queue, so one of them consumes and
the others stand by. Each rebuilds its state from the event store at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket

from prometheus_client import start_http_server

from contracts.topology import ALERTER
from infrastructure.adapters import make_bus
from infrastructure.adapters import make_store
from infrastructure.bus.retry import connect_with_retry
from infrastructure.process import configure_logging
from infrastructure.process import run_until_stop_signal
from services.alerter.assembly import build_alerter
from services.alerter.settings import AlerterSettings

logger = logging.getLogger(__name__)


async def main(settings: AlerterSettings) -> None:
    """Run the alerter process: rebuild its state from the log, then consume events until a stop signal."""
    configure_logging(settings.log_level, service="alerter")
    name = settings.instance_id or f"alerter:{socket.gethostname()}-{os.getpid()}"
    store = make_store(settings)
    bus = make_bus(settings, connection_name=name)
    alerter = build_alerter(settings, bus, producer=name)
    await store.open()
    try:
        await connect_with_retry(bus)
        await bus.declare(ALERTER)  # first, so that nothing published while it rebuilds is missed
        folded = await alerter.rebuild(store)
        logger.info("alerter %s: state rebuilt from %d stored event(s), %d open incident(s)",
                    name, folded, len(alerter.state.open))  # fmt: skip
        if settings.alerter_metrics_port is not None:
            start_http_server(
                settings.alerter_metrics_port,
                addr=settings.alerter_metrics_host,
                registry=alerter.metrics.registry,
            )
        alerter.notifier.start()
        subscription = await bus.consume(ALERTER, alerter.on_event)
        logger.info("alerter %s consuming %s (or standing by), %d channel(s)",
                    name, ALERTER.name, len(alerter.notifier.channels))  # fmt: skip
        ticks = alerter.run_periodically(settings.alerts.evaluate_interval_s)
        await run_until_stop_signal(settings.liveness_file, background={"alert-tick": ticks})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(subscription.cancel(), 10)
        await alerter.notifier.stop()
    finally:
        await bus.close()
        await store.close()
