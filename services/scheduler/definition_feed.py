"""The job definitions' events as the leader hears them back: how an edit survives the death of its leader.

A leader applies an edit as it publishes its `JobChanged` (or `JobCreated`, `JobDeleted`); a new leader
starts from the jobs read model, which the projector may not have written yet. So every definition event
also goes to `scheduler.definitions`, and the leader acknowledges one there only once the read model has
its version: until then it stays in the queue (unacknowledged, given back when its leader dies) for the
next leader, which applies what it does not know yet (`JobEditor.fold`: by version, so a leader's own
events and those the read model had already change nothing). A new leader waits (at most
`CAUGHT_UP_TIMEOUT_S`) for its own registrations to come through before it takes commands, so an edit
command handed to it again after its predecessor published the edit is seen as applied already (its
command id), never applied twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from contracts.envelope import Message
from contracts.events import JobRegistered
from contracts.topology import DEFINITIONS
from domain.job_definition_projection import DEFINITION_EVENTS
from domain.job_definition_projection import DefinitionEvent
from infrastructure.bus.delivery import NotHandled
from infrastructure.bus.port import Subscription
from services.scheduler.desk import Desk
from services.scheduler.job_editing import JobEditor

logger = logging.getLogger(__name__)

# Events held at once while the read model lags (each waits for its version there); beyond that, the
# queue keeps the rest.
HELD_AT_MOST = 64
CAUGHT_UP_TIMEOUT_S = 10.0
PROJECTED_POLL_FIRST_S = 0.05
PROJECTED_POLL_MAX_S = 2.0


class DefinitionFeed:
    """The leader's subscription to `scheduler.definitions` for one term."""

    def __init__(self, desk: Desk, editor: JobEditor, on_applied: Callable[[], None]) -> None:
        self.desk = desk
        self.editor = editor
        self._on_applied = on_applied
        self._subscription: Subscription | None = None
        self._closing = asyncio.Event()
        self._barrier: str | None = None
        self._caught_up = asyncio.Event()

    async def start(self, barrier: JobRegistered | None) -> None:
        """Subscribe, and wait until `barrier` (this term's last registration) has come through.

        Everything queued before it (a predecessor's edits) is then applied. Without a barrier, or when it
        does not come in time (more events held than `HELD_AT_MOST`), the leader goes on and says so.
        """
        self._barrier = barrier.message_id if barrier is not None else None
        self._subscription = await self.desk.bus.consume(
            DEFINITIONS, self.on_event, prefetch=HELD_AT_MOST, concurrency=HELD_AT_MOST
        )
        if barrier is None:
            return
        try:
            async with asyncio.timeout(CAUGHT_UP_TIMEOUT_S):
                await self._caught_up.wait()
        except TimeoutError:
            logger.warning(
                "scheduler %s: the job definitions queue did not come through within %g s; commands are "
                "taken anyway",
                self.desk.producer,
                CAUGHT_UP_TIMEOUT_S,
            )

    async def stop(self) -> None:
        """Give back what is held (the next leader gets it) and cancel the subscription."""
        self._closing.set()
        if self._subscription is not None:
            try:
                await self._subscription.cancel()
            except Exception:
                logger.warning("could not cancel the job definitions subscription", exc_info=True)

    async def on_event(self, message: Message) -> None:
        """Apply a definition event not known yet, then hold it until the jobs read model has its version.

        Handled concurrently (up to `HELD_AT_MOST`) but applied in delivery order: each handler queues for
        the editor's lock before anything else.
        """
        if isinstance(message, JobRegistered):
            if message.message_id == self._barrier:
                self._caught_up.set()
            return
        if not isinstance(message, DEFINITION_EVENTS):
            return
        if await self.editor.fold(message):
            self._on_applied()
        await self._until_projected(message)

    async def _until_projected(self, event: DefinitionEvent) -> None:
        delay = PROJECTED_POLL_FIRST_S
        while not self._closing.is_set():
            record = await self.desk.store.get_job(event.job_id)
            if record is not None and record.job_version >= event.job_version:
                return
            try:
                async with asyncio.timeout(delay):
                    await self._closing.wait()
            except TimeoutError:
                delay = min(delay * 2, PROJECTED_POLL_MAX_S)
        raise NotHandled(
            f"{event.type} {event.job_id} v{event.job_version} not projected yet: for the next leader"
        )
