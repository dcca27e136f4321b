"""Read your writes: a command's answer waits until the read models show its effect, for a bounded time.

The API publishes a command once, then polls the store (the one the projector writes, in both modes and on
either bus) with a short, growing pause between looks, until the effect shows or the budget is spent. The
poll is a primary-key read; a client that reloads after the answer sees the new state. When the budget
runs out (a slow projector, a refused command) the answer says "accepted, not yet applied" instead. The
command is never sent again, whatever happens to the caller meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from collections.abc import Callable

from domain.records import ExecutionRecord
from infrastructure.store.port import ExecutionsReadModel
from infrastructure.store.port import JobsReadModel
from infrastructure.store.port import StoreUnavailable

logger = logging.getLogger(__name__)

Applied = Callable[[], Awaitable[bool]]

# A look is a primary-key read (well under a millisecond): short pauses cost little and keep the answer
# close to the moment the effect lands (usually a few to a few tens of milliseconds after the publish).
FIRST_PAUSE_S = 0.005
PAUSE_GROWTH = 1.5
LONGEST_PAUSE_S = 0.05


async def applied_within(is_applied: Applied, budget_s: float) -> bool:
    """Whether the effect showed within `budget_s` (looked at least once)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget_s
    pause = FIRST_PAUSE_S
    while True:
        try:
            if await is_applied():
                return True
        except StoreUnavailable:
            # The command is out; a failing read must not make the caller think it was not (and resend it).
            logger.warning("store unavailable while waiting for a command's effect")
            return False
        remaining = deadline - loop.time()
        if remaining <= 0:
            return False
        await asyncio.sleep(min(pause, remaining))
        pause = min(pause * PAUSE_GROWTH, LONGEST_PAUSE_S)


def job_paused(store: JobsReadModel, job_id: str, *, paused: bool) -> Applied:
    """A check that the read models show the job paused (or resumed, with `paused=False`)."""

    async def check() -> bool:
        job = await store.get_job(job_id)
        return job is not None and job.paused == paused

    return check


def metadata_shown(
    store: JobsReadModel, job_id: str, display_name: str | None, description: str | None
) -> Applied:
    """A check that the read models show the job's new display name and description."""

    async def check() -> bool:
        view = await store.get_job_view(job_id)
        metadata = view.metadata if view is not None else None
        if metadata is None:
            return False
        return (display_name is None or metadata.display_name == display_name) and (
            description is None or metadata.description == description
        )

    return check


def execution_shown(
    store: ExecutionsReadModel, execution_id: str, shown: Callable[[ExecutionRecord], bool]
) -> Applied:
    """The execution is listed and `shown` holds for it."""

    async def check() -> bool:
        record = await store.get_execution(execution_id)
        return record is not None and shown(record)

    return check


def execution_gone(store: ExecutionsReadModel, execution_id: str) -> Applied:
    """A check that the read models no longer show the execution."""

    async def check() -> bool:
        return await store.get_execution(execution_id) is None

    return check
