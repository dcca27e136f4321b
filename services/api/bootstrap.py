"""Composition root of `python -m services.api`: adapters from settings, the app, uvicorn.

This process opens and closes the store, the user store and the bus; `create_app` only uses them.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from infrastructure import log_redaction
from infrastructure.adapters import make_bulk_actions
from infrastructure.adapters import make_bus
from infrastructure.adapters import make_platform_users
from infrastructure.adapters import make_run_logs
from infrastructure.adapters import make_store
from infrastructure.adapters import make_trade_calendars
from infrastructure.adapters import make_user_store
from infrastructure.bus.retry import connect_with_retry
from infrastructure.event_loop import run
from infrastructure.process import configure_logging
from infrastructure.store.platform_users_port import PlatformUserDirectory
from services.api.app import create_app
from services.api.app import stream_hub
from services.api.request_id import log_request_ids
from services.api.settings import ApiSettings
from services.api.stream import EventStreamHub

logger = logging.getLogger(__name__)


class ApiServer(uvicorn.Server):
    """Ends the live-stream responses first: otherwise a graceful shutdown waits for every open stream."""

    def __init__(self, config: uvicorn.Config, hub: EventStreamHub) -> None:
        super().__init__(config)
        self._hub = hub

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """End every live stream, then shut down as uvicorn does."""
        self._hub.close_clients()
        await super().shutdown(sockets)


def build_server(app: FastAPI, settings: ApiSettings) -> ApiServer:
    """The uvicorn server for an app made by `create_app` (also for the embedded composition root)."""
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=settings.graceful_shutdown_s,
        lifespan="on",
        # uvicorn's lines go through the process's own handler (one format, with the request id).
        log_config=None,
    )
    log_redaction.install("uvicorn.access", "uvicorn.error")
    log_request_ids()
    return ApiServer(config, stream_hub(app))


@asynccontextmanager
async def platform_directory(settings: ApiSettings) -> AsyncIterator[PlatformUserDirectory | None]:
    """The platform's users collection in platform mode (opened and closed here), else None."""
    if settings.auth_mode != "platform":
        yield None
        return
    directory = make_platform_users(
        settings.platform_mongodb_url.get_secret_value(), settings.platform_mongodb_database
    )
    await directory.open()
    try:
        yield directory
    finally:
        await directory.close()


async def serve(settings: ApiSettings) -> None:
    """Serve the API with the settings' stores and bus until the server stops, then close them all."""
    store = make_store(settings)
    users = make_user_store(settings)
    bus = make_bus(settings, connection_name=f"api:{settings.instance_id or socket.gethostname()}")
    async with AsyncExitStack() as resources:
        await store.open()
        resources.push_async_callback(store.close)
        await users.open()
        resources.push_async_callback(users.close)
        run_log_store = make_run_logs(settings)
        await run_log_store.open()
        resources.push_async_callback(run_log_store.close)
        trade_calendars = make_trade_calendars(settings)
        await trade_calendars.open()
        resources.push_async_callback(trade_calendars.close)
        bulk_actions = make_bulk_actions(settings)
        await bulk_actions.open()
        resources.push_async_callback(bulk_actions.close)
        # The broker may be down at start-up: connect in the background (retrying with backoff, logged)
        # while the API serves reads; commands answer 503 until the bus is connected.
        connecting = asyncio.create_task(connect_with_retry(bus), name="bus-connect")
        resources.push_async_callback(bus.close)
        resources.callback(connecting.cancel)
        platform_users = await resources.enter_async_context(platform_directory(settings))
        app = create_app(
            settings=settings,
            store=store,
            bus=bus,
            users=users,
            projector_lag=store.projector_lag_s,
            platform_users=platform_users,
            run_log_store=run_log_store,
            trade_calendars=trade_calendars,
            bulk_actions=bulk_actions,
        )
        logger.info("API listening on http://%s:%d", settings.host, settings.port)
        await build_server(app, settings).serve()


def main() -> None:
    """Run the API process (`python -m services.api`) with the settings of its environment."""
    settings = ApiSettings()
    configure_logging(settings.log_level, service="api")
    run(serve(settings), settings.event_loop)
