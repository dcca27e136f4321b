"""The API application: routes, error answers, metrics, the live stream's lifecycle.

`create_app` wires what it is given; it never opens or closes the store, the user store or the bus (the
composition root does: in the embedded mode one process shares them between the four services).
Its lifespan does only the API's own things: the first admin account, the live-stream subscription and
the purge of expired sign-ins.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from collections.abc import Sequence
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client.registry import Collector

from infrastructure.bus.port import Bus
from infrastructure.store.bulk_actions_port import BulkActionStore
from infrastructure.store.bulk_actions_port import MemoryBulkActions
from infrastructure.store.platform_users_port import PlatformUserDirectory
from infrastructure.store.run_logs_port import RunLogStore
from infrastructure.store.trade_calendar_port import TradeCalendarStore
from infrastructure.store.users_port import UserStore
from services.api.auth import ensure_first_admin
from services.api.auth_errors import install_auth_errors
from services.api.authenticator import Authenticator
from services.api.bulk import BulkOperations
from services.api.calendars import ApiCalendars
from services.api.console import mount_console
from services.api.cors import add_cors
from services.api.dependencies import ApiContext
from services.api.dependencies import ApiStore
from services.api.docs import mount_docs
from services.api.errors import install_error_handlers
from services.api.health import ProjectorLagProbe
from services.api.json_limits import JsonLimitMiddleware
from services.api.language import LanguageMiddleware
from services.api.limits import BodyLimitMiddleware
from services.api.login_guard import LoginGuard
from services.api.metrics import ApiMetrics
from services.api.metrics import MetricsMiddleware
from services.api.platform_auth import PlatformTokens
from services.api.request_id import RequestIdMiddleware
from services.api.routes import alerts
from services.api.routes import auth
from services.api.routes import backfills
from services.api.routes import bulk
from services.api.routes import client_probe
from services.api.routes import dependency_graph
from services.api.routes import events
from services.api.routes import executions
from services.api.routes import history
from services.api.routes import job_definitions
from services.api.routes import jobs
from services.api.routes import kinds
from services.api.routes import parameters
from services.api.routes import probes
from services.api.routes import run_logs
from services.api.routes import status
from services.api.routes import triggers
from services.api.security_headers import SecurityHeadersMiddleware
from services.api.sessions import LocalSessions
from services.api.sessions import purge_expired_sessions
from services.api.settings import ApiSettings
from services.api.stream import EventStreamHub
from services.api.stream_limits import StreamLimits

logger = logging.getLogger(__name__)

TAGS = [
    {"name": "jobs", "description": "The job catalogue and the commands on jobs."},
    {"name": "executions", "description": "Runs of jobs and the commands on them."},
    {"name": "history", "description": "The audit log of operator actions."},
    {"name": "status", "description": "The scheduler service's statistics and health."},
    {"name": "events", "description": "The event log and the live stream."},
    {"name": "auth", "description": "Sign-in (bearer JWT)."},
    {"name": "probes", "description": "Liveness, readiness and metrics."},
]


def create_app(
    *,
    settings: ApiSettings,
    store: ApiStore,
    bus: Bus,
    users: UserStore,
    projector_lag: ProjectorLagProbe | None = None,
    platform_users: PlatformUserDirectory | None = None,
    run_log_store: RunLogStore | None = None,
    bulk_actions: BulkActionStore | None = None,
    metrics_collectors: Sequence[Collector] = (),
    trade_calendars: TradeCalendarStore | None = None,
) -> FastAPI:
    """The API; `metrics_collectors` add other components' metrics to its `/metrics` (the embedded mode).

    `bulk_actions` keeps the bulk operations (an API restart carries the unfinished ones on); without it
    they live in this process only.
    """
    metrics = ApiMetrics()
    for collector in metrics_collectors:
        metrics.registry.register(collector)
    sessions, authenticator = _authentication(settings, users, platform_users)
    login_guard = LoginGuard(
        per_username=settings.login_attempts_per_username,
        per_address=settings.login_attempts_per_address,
        hash_workers=settings.password_hash_workers,
        hash_queue=settings.password_hash_queue,
    )
    context = ApiContext(
        settings=settings,
        store=store,
        bus=bus,
        users=users,
        metrics=metrics,
        stream=EventStreamHub(bus, metrics, client_buffer=settings.stream_client_buffer),
        projector_lag=projector_lag,
        producer=f"api:{settings.instance_id}" if settings.instance_id else "api",
        auth=authenticator,
        sessions=sessions,
        login_guard=login_guard,
        stream_limits=StreamLimits(
            total=settings.stream_max_clients,
            per_user=settings.stream_max_clients_per_user,
            check_interval_s=settings.stream_auth_check_s,
        ),
        run_logs=run_log_store,
        calendars=ApiCalendars(trade_calendars),
        bulk=BulkOperations(bulk_actions if bulk_actions is not None else MemoryBulkActions()),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        generated = await ensure_first_admin(users, settings)
        if generated is not None:
            # Shown once, on the console only (never in the log files): dev mode without a configured one.
            print(
                f"\n  Generated admin account (dev mode): {settings.admin_username} / {generated}\n",
                file=sys.stderr,
                flush=True,
            )
        await context.stream.start()
        await context.bulk.resume(bus, store, context.producer)
        purging = (
            asyncio.create_task(purge_expired_sessions(users), name="purge sessions") if sessions else None
        )
        try:
            yield
        finally:
            if purging is not None:
                purging.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await purging
            await context.stream.stop()
            await context.bulk.close()
            login_guard.close()

    app = FastAPI(
        title="A-share scheduler API",
        version="1.0.0",
        summary="Jobs, executions, history and health of the event-sourced scheduler.",
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,  # served by `mount_docs` from the service's own files
        redoc_url=None,  # ReDoc would load its script from a CDN
        swagger_ui_oauth2_redirect_url=None,
    )
    app.state.api = context
    install_error_handlers(app)
    install_auth_errors(app)
    app.add_middleware(JsonLimitMiddleware)  # inside the byte cap: it reads the body whole
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    app.add_middleware(LanguageMiddleware)  # the caller's language for every text, errors included
    add_cors(app, settings.cors_origins)
    app.add_middleware(SecurityHeadersMiddleware)  # on every answer, CORS preflights included
    app.add_middleware(RequestIdMiddleware)  # outermost: every answer (errors, CORS) carries the id
    for module in (
        jobs,
        job_definitions,
        kinds,
        dependency_graph,
        parameters,
        triggers,
        bulk,
        executions,
        run_logs,
        history,
        status,
        events,
        auth,
        client_probe,
        probes,
        alerts,
        backfills,
    ):
        app.include_router(module.router)
    mount_docs(app)  # Swagger UI at `/docs`, from the service's own files
    mount_console(app)  # the web console at `/`, static files only
    return app


def stream_hub(app: FastAPI) -> EventStreamHub:
    """The app's live-stream hub (e.g. to end its clients before a server's graceful shutdown)."""
    context: ApiContext = app.state.api
    return context.stream


def _authentication(
    settings: ApiSettings, users: UserStore, platform_users: PlatformUserDirectory | None
) -> tuple[LocalSessions | None, Authenticator]:
    """Local mode: our accounts and tokens. Platform mode: the platform's tokens and users; no sign-in."""
    if settings.auth_mode == "platform":
        if platform_users is None:
            raise ValueError("platform mode needs the platform's users collection (platform_users)")
        return None, PlatformTokens(platform_users, settings)
    sessions = LocalSessions(users, settings)
    return sessions, sessions
