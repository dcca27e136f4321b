"""Request dependencies as `Annotated` aliases: the API's context, the signed-in user, admin rights."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Annotated
from typing import Any
from typing import Protocol
from typing import cast
from zoneinfo import ZoneInfo

from fastapi import Depends
from fastapi import Path
from fastapi import Query
from fastapi import Request
from fastapi import status
from fastapi.security import OAuth2PasswordBearer

from infrastructure.bus.port import Bus
from infrastructure.store.port import BackfillsReadModel
from infrastructure.store.port import EventLog
from infrastructure.store.port import ExecutionsReadModel
from infrastructure.store.port import HistoryReadModel
from infrastructure.store.port import JobsReadModel
from infrastructure.store.port import SchedulerStates
from infrastructure.store.port import StoreLifecycle
from infrastructure.store.run_logs_port import RunLogStore
from infrastructure.store.users_port import UserRecord
from infrastructure.store.users_port import UserStore
from services.api.auth_errors import AuthProblem
from services.api.authenticator import Authenticated
from services.api.authenticator import Authenticator
from services.api.bulk import BulkOperations
from services.api.calendars import ApiCalendars
from services.api.health import ProjectorLagProbe
from services.api.login_guard import LoginGuard
from services.api.metrics import ApiMetrics
from services.api.sessions import LocalSessions
from services.api.sessions import unauthorized
from services.api.settings import ApiSettings
from services.api.stream import EventStreamHub
from services.api.stream_limits import StreamLimits

LOGIN_PATH = "/api/auth/login"


class ApiStore(
    StoreLifecycle,
    EventLog,
    JobsReadModel,
    ExecutionsReadModel,
    HistoryReadModel,
    BackfillsReadModel,
    SchedulerStates,
    Protocol,
):
    """What the API does with the store.

    Read every read model and the event log, append the operators' alert events, answer the readiness probe.
    It never writes a read model (the projector does).
    """


@dataclass(frozen=True)
class ApiContext:
    """What the routes use; built once by `create_app` (which opens and closes none of it)."""

    settings: ApiSettings
    store: ApiStore
    bus: Bus
    users: UserStore
    metrics: ApiMetrics
    stream: EventStreamHub
    projector_lag: ProjectorLagProbe | None
    producer: str
    auth: Authenticator
    sessions: LocalSessions | None
    """None in platform mode (our own sign-in is off)"""
    login_guard: LoginGuard
    stream_limits: StreamLimits
    run_logs: RunLogStore | None = None
    """Each run's own log (None: not served by this process, 503)"""
    bulk: BulkOperations = field(default_factory=BulkOperations)
    """The bulk operations this process runs (their progress)"""
    calendars: ApiCalendars = field(default_factory=ApiCalendars)
    """The trading-day calendars (`policy.calendar`: previews, health)"""

    @property
    def zone(self) -> ZoneInfo:
        """The time zone the API's answers show times in."""
        return self.settings.zone

    def command_fields(self, user: UserRecord) -> dict[str, Any]:
        """Envelope fields of a command an operator sends."""
        return {"actor": user.username, "producer": self.producer}


def get_context(request: Request) -> ApiContext:
    """The API's context (stores, bus, settings) from the application state."""
    return cast(ApiContext, request.app.state.api)


Context = Annotated[ApiContext, Depends(get_context)]

_bearer = OAuth2PasswordBearer(tokenUrl=LOGIN_PATH, auto_error=False)
BearerToken = Annotated[str | None, Depends(_bearer)]


async def _authenticated(context: ApiContext, token: str | None) -> Authenticated:
    if not token:
        raise unauthorized("no_token")
    return await context.auth.authenticate(token)


async def authentication(context: Context, token: BearerToken) -> Authenticated:
    """The signed-in user and token claims of the bearer token; 401 if there is none or it is bad."""
    return await _authenticated(context, token)


async def current_user(signed_in: Annotated[Authenticated, Depends(authentication)]) -> UserRecord:
    """The signed-in user's account; 401 if not signed in."""
    return signed_in.user


async def stream_token(
    token: BearerToken,
    access_token: Annotated[
        str | None,
        Query(
            max_length=4096,
            description="the bearer token, for clients that cannot send headers (EventSource)",
        ),
    ] = None,
) -> str | None:
    """The bearer token from the header, else from the `access_token` query parameter."""
    return token or access_token


async def stream_user(context: Context, token: Annotated[str | None, Depends(stream_token)]) -> UserRecord:
    """The signed-in user of a live stream (token in the header or the query); 401 otherwise."""
    return (await _authenticated(context, token)).user


Authentication = Annotated[Authenticated, Depends(authentication)]
StreamToken = Annotated[str | None, Depends(stream_token)]
CurrentUser = Annotated[UserRecord, Depends(current_user)]
StreamUser = Annotated[UserRecord, Depends(stream_user)]


async def admin_user(user: CurrentUser) -> UserRecord:
    """The signed-in user if an admin; 403 otherwise."""
    if user.role != "admin":
        raise AuthProblem(status.HTTP_403_FORBIDDEN, "forbidden")
    return user


AdminUser = Annotated[UserRecord, Depends(admin_user)]


# --- parameters shared by several routes -----------------------------------------------------------
JOB_ID_EXAMPLE = "tushare_quotes_sync"
EXECUTION_ID_EXAMPLE = "3f2c9a7e0d4b4c1e9b8a6f5d4c3b2a10"
JobId = Annotated[
    str,
    Path(min_length=1, max_length=200, description="job id of the catalogue", examples=[JOB_ID_EXAMPLE]),
]
ExecutionId = Annotated[
    str, Path(min_length=1, max_length=100, description="execution id", examples=[EXECUTION_ID_EXAMPLE])
]
# Bounded so that no store overflows on a huge offset; deeper pages than this are not useful.
Offset = Annotated[int, Query(ge=0, le=1_000_000_000, description="rows to skip")]
JobIdFilter = Annotated[str | None, Query(min_length=1, max_length=200, description="only this job")]
PageSize = Annotated[int, Query(ge=1, le=200, description="page size")]
