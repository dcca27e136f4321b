"""Each run's own log: the lines its job logged, paged, and tailed live (Server-Sent Events).

The lines are kept beside the event log (`infrastructure.store.run_logs_port`); the live tail reads the
same store every fraction of a second, so it shows what the workers have shipped, from any API process,
and ends once the execution has ended and nothing more came.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterable
from typing import Annotated
from typing import Literal

from fastapi import Depends
from fastapi import HTTPException
from fastapi import Query
from fastapi import status
from fastapi.sse import EventSourceResponse
from fastapi.sse import ServerSentEvent
from pydantic import BaseModel
from pydantic import Field

from contracts.events import TERMINAL_STATUSES
from infrastructure.store.run_logs_port import RunLogLine
from infrastructure.store.run_logs_port import RunLogQuery
from infrastructure.store.run_logs_port import RunLogStore
from services.api.commands import done
from services.api.commands import execution_not_found
from services.api.dependencies import ApiContext
from services.api.dependencies import Context
from services.api.dependencies import ExecutionId
from services.api.dependencies import Offset
from services.api.dependencies import current_user
from services.api.errors import responses
from services.api.messages import text
from services.api.route_declarations import SchedulerRouter
from services.api.routes.events import RECONNECT_DELAY_MS
from services.api.routes.events import stream_slot
from services.api.schemas import Envelope
from services.api.schemas import when
from services.api.views import iso

router = SchedulerRouter("executions", signed_in=False)

LevelFilter = Annotated[
    Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
    Query(description="lowest level shown (WARNING: warnings, errors and critical lines)"),
]
TAIL_POLL_S = 0.5
TAIL_PAGE = 500
# A tail that sees nothing new for this long after the run ended, ends (the last batch may lag a little).
TAIL_SETTLE_S = 2.0
TAIL_MAX_S = 6 * 3600.0  # the browser reconnects (from where it was) after this


class RunLogLineOut(BaseModel):
    """One line a run logged, in order within its attempt."""

    attempt: int
    sequence: int = Field(description="order of the line within its attempt, from 1")
    logged_at: str = when("when the line was logged")
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
    logger: str
    message: str


class RunLogPage(BaseModel):
    """One page of a run's log lines, with the total matching."""

    items: list[RunLogLineOut]
    total: int
    limit: int
    offset: int


def run_log_store(context: Context) -> RunLogStore:
    """The run-log store; 503 when this API process has none."""
    if context.run_logs is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=text("run_logs_unavailable"))
    return context.run_logs


RunLogs = Annotated[RunLogStore, Depends(run_log_store)]


def line_out(line: RunLogLine, context: ApiContext) -> RunLogLineOut:
    """The answer for one log line, its time in the API's zone."""
    return RunLogLineOut(
        attempt=line.attempt,
        sequence=line.sequence,
        logged_at=iso(line.logged_at, context.zone) or "",
        level=line.level,
        logger=line.logger,
        message=line.message,
    )


async def _known(context: ApiContext, execution_id: str, total: int) -> None:
    """404 for an execution that neither exists nor has lines (lines may outlive a pruned record)."""
    if total == 0 and await context.store.get_execution(execution_id) is None:
        raise execution_not_found(execution_id)


@router.read(
    "/executions/{execution_id}/logs",
    "The lines a run logged, in order (every attempt), with a lowest level",
    Envelope[RunLogPage],
    errors=(404, 503),
    dependencies=[Depends(current_user)],
)
async def list_run_logs(
    context: Context,
    run_logs: RunLogs,
    execution_id: ExecutionId,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="page size")] = 200,
    level: LevelFilter = "DEBUG",
) -> Envelope[RunLogPage]:
    """The lines a run logged, in order, at `level` or above, one page; 404 for an unknown execution."""
    lines, total = await run_logs.page(RunLogQuery(execution_id, offset, limit, level))
    await _known(context, execution_id, total)
    page = RunLogPage(
        items=[line_out(line, context) for line in lines], total=total, limit=limit, offset=offset
    )
    return done(context, text("run_logs_listed", count=total), page)


async def known_execution(context: Context, run_logs: RunLogs, execution_id: ExecutionId) -> None:
    """404 before a live tail starts, for an execution with neither a record nor lines."""
    _, total = await run_logs.page(RunLogQuery(execution_id, 0, 1))
    await _known(context, execution_id, total)


async def _ended(context: ApiContext, execution_id: str) -> bool:
    execution = await context.store.get_execution(execution_id)
    return execution is None or execution.status in TERMINAL_STATUSES


@router.get(
    "/executions/{execution_id}/logs/stream",
    summary="The run's log, live (Server-Sent Events)",
    description="Each `log` event is one line (as in `GET .../logs`), its `id` the line's position; the "
    "stream starts at `offset` (what the client already has) and sends an `end` event once the run has "
    "ended and every line has been sent. The token may be passed as `?access_token=`.",
    response_class=EventSourceResponse,
    responses={**responses(401, 404, 422, 503), 429: {"description": "too many open streams"}},
    # The slot first (it signs the user in), then the execution must be known (404 before the stream).
    dependencies=[Depends(stream_slot), Depends(known_execution)],
)
async def stream_run_logs(
    context: Context,
    run_logs: RunLogs,
    execution_id: ExecutionId,
    offset: Offset = 0,
    level: LevelFilter = "DEBUG",
) -> AsyncIterable[ServerSentEvent]:
    """The run's log as it grows (Server-Sent Events), from `offset`, for a bounded time."""
    yield ServerSentEvent(comment="connected", retry=RECONNECT_DELAY_MS)
    position, quiet_since, started = offset, time.monotonic(), time.monotonic()
    while time.monotonic() - started < TAIL_MAX_S:
        lines, _ = await run_logs.page(RunLogQuery(execution_id, position, TAIL_PAGE, level))
        for line in lines:
            position += 1
            yield ServerSentEvent(
                id=str(position), event="log", data=line_out(line, context).model_dump(mode="json")
            )
        if lines:
            quiet_since = time.monotonic()
            continue
        if time.monotonic() - quiet_since >= TAIL_SETTLE_S and await _ended(context, execution_id):
            yield ServerSentEvent(event="end", data={"lines": position})
            return
        await asyncio.sleep(TAIL_POLL_S)
