"""The event log (audit, with filters) and the live stream of events (Server-Sent Events)."""

from __future__ import annotations

from collections.abc import AsyncIterable
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from fastapi import HTTPException
from fastapi import Query
from fastapi import Request
from fastapi import status
from fastapi.sse import EventSourceResponse
from fastapi.sse import ServerSentEvent
from pydantic import StringConstraints

from contracts.events import EVENT_TYPES
from infrastructure.bus.port import BusUnavailable
from infrastructure.store.port import EventQuery
from services.api.auth_errors import language
from services.api.commands import done
from services.api.dependencies import Context
from services.api.dependencies import JobIdFilter
from services.api.dependencies import Offset
from services.api.dependencies import StreamToken
from services.api.dependencies import StreamUser
from services.api.dependencies import current_user
from services.api.errors import RETRY_AFTER
from services.api.errors import responses
from services.api.messages import text
from services.api.route_declarations import SchedulerRouter
from services.api.schemas import Envelope
from services.api.schemas import EventOut
from services.api.schemas import EventPage
from services.api.stream import EventStreamHub
from services.api.stream import StreamFilter
from services.api.stream_limits import RevocationWatch
from services.api.time_bounds import QueryDateTime
from services.api.time_bounds import utc_bound
from services.api.views import event_out
from services.api.views import message_out

router = SchedulerRouter("events", signed_in=False)

EVENT_TYPE_NAMES = tuple(event_type.model_fields["type"].default for event_type in EVENT_TYPES)
EVENT_TYPE_PATTERN = "^(" + "|".join(EVENT_TYPE_NAMES) + ")$"
EventTypeFilter = Annotated[
    str | None, Query(pattern=EVENT_TYPE_PATTERN, description="only events of this type")
]
ExecutionIdFilter = Annotated[
    str | None, Query(min_length=1, max_length=100, description="only this execution")
]
RECONNECT_DELAY_MS = 3000


@router.read(
    "/events",
    "The event log, oldest first, with filters",
    Envelope[EventPage],
    dependencies=[Depends(current_user)],
)
async def list_events(
    context: Context,
    job_id: JobIdFilter = None,
    execution_id: ExecutionIdFilter = None,
    type: EventTypeFilter = None,
    actor: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    since: Annotated[QueryDateTime | None, Query(description="occurred at or after")] = None,
    until: Annotated[QueryDateTime | None, Query(description="occurred before")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="page size")] = 100,
    offset: Offset = 0,
) -> Envelope[EventPage]:
    """The event log, oldest first, filtered by job, execution, type, actor and time, one page."""
    # `since` after `until` is an empty interval: an empty page, like any filter that matches nothing.
    bounds = utc_bound(since, context.zone), utc_bound(until, context.zone)
    query = EventQuery(job_id, execution_id, type, actor, *bounds, limit, offset)
    documents, total = await context.store.list_events(query)
    items = [EventOut.model_validate(event_out(document, context.zone)) for document in documents]
    page = EventPage(items=items, total=total, limit=limit, offset=offset)
    return done(context, f"获取到 {total} 个事件", page)


async def live_stream(context: Context) -> EventStreamHub:
    """The hub, subscribed to the events for this client (503 when the bus cannot subscribe now)."""
    try:
        await context.stream.subscribe_for_client()
    except BusUnavailable:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, detail=text("stream_unavailable"), headers=RETRY_AFTER
        ) from None
    return context.stream


async def stream_slot(context: Context, user: StreamUser) -> AsyncIterator[None]:
    """Held while the stream is open (a dependency with `yield` ends after the response)."""
    with context.stream_limits.slot(user.username):
        yield


@router.get(
    "/stream",
    summary="Live events as they are published (Server-Sent Events)",
    description="`event` is the event type, `id` its message id, `data` the event as JSON. The token "
    "may be passed as `?access_token=` (EventSource cannot send headers). A client that falls too far "
    "behind receives an `overflow` event and is disconnected; reload with `GET /events`. Connections are "
    "capped per user and in total (429). A stream whose token is revoked or whose user is disabled gets a "
    "`revoked` event within a few seconds and ends.",
    response_class=EventSourceResponse,
    responses={**responses(401, 422, 503), 429: {"description": "too many open streams"}},
    dependencies=[Depends(stream_slot)],
)
async def stream(
    context: Context,
    user: StreamUser,
    token: StreamToken,
    request: Request,
    hub: Annotated[EventStreamHub, Depends(live_stream)],
    job_id: JobIdFilter = None,
    execution_id: ExecutionIdFilter = None,
    type: Annotated[
        list[Annotated[str, StringConstraints(pattern=EVENT_TYPE_PATTERN)]] | None,
        Query(description="only these event types (repeat the parameter)"),
    ] = None,
) -> AsyncIterable[ServerSentEvent]:
    """Live events as they are published (Server-Sent Events), filtered; ends when the token is revoked."""
    stream_filter = StreamFilter(job_id, execution_id, frozenset(type or ()))
    watch = RevocationWatch(context.auth, token or "", context.stream_limits.check_interval_s)
    with hub.connect(stream_filter) as client:
        async with watch.watching(client, user.username):
            yield ServerSentEvent(comment="connected", retry=RECONNECT_DELAY_MS)
            async for event in client.messages():
                yield ServerSentEvent(
                    id=event.message_id, event=event.type, data=message_out(event, context.zone)
                )
        if watch.revoked:
            yield ServerSentEvent(event="revoked", data={"detail": text("revoked", language(request))})
        elif client.overflowed:
            yield ServerSentEvent(event="overflow", data={"detail": text("stream_overflow")})
