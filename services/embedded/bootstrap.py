"""Composition root of the embedded mode (`python -m services.embedded`, `make run`)."""

from __future__ import annotations

import logging

from infrastructure.adapters import make_trade_calendars
from infrastructure.process import configure_logging
from services.api.app import create_app
from services.api.bootstrap import build_server
from services.api.bootstrap import platform_directory
from services.embedded.settings import EmbeddedSettings
from services.embedded.system import EmbeddedSystem
from services.projector.stats import ProjectorCollector

logger = logging.getLogger(__name__)


async def main(settings: EmbeddedSettings) -> None:
    """Run the whole system in one process with the API served on the settings' port, until a stop signal."""
    configure_logging(settings.log_level, service="embedded")
    system = EmbeddedSystem(settings)
    trade_calendars = make_trade_calendars(settings)  # the API's own reads (previews, health)
    await system.start()
    try:
        await trade_calendars.open()
        async with platform_directory(settings) as platform_users:
            app = create_app(
                settings=settings,
                store=system.store,
                bus=system.bus,
                users=system.users,
                projector_lag=system.store.projector_lag_s,
                platform_users=platform_users,
                run_log_store=system.run_logs,
                trade_calendars=trade_calendars,
                bulk_actions=system.bulk_actions,
                # One process, one `/metrics`: the projector's (lag, runs) and the alerter's with the API's.
                metrics_collectors=(
                    ProjectorCollector(system.projector.stats),
                    system.alerter.metrics.registry,
                ),
            )
            logger.info("serving the API on http://%s:%d (docs at /docs)", settings.host, settings.port)
            await build_server(app, settings).serve()  # returns on SIGINT / SIGTERM
    finally:
        await trade_calendars.close()
        await system.stop()
