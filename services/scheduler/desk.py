"""What the leader's handlers share: the bus and the store, the decider's state, the two clocks.

`carry_out` is the one place a `Decision` turns into effects: claim (if asked), fold into the state,
publish. Runs, misses and skips are folded before anything is awaited, so concurrent fires of one job see
them (the overlap policy holds); they are forgotten again if their messages cannot be published.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Protocol

from contracts.envelope import Message
from contracts.events import TERMINAL_STATUSES
from contracts.events import JobMissed
from contracts.events import JobPaused
from contracts.events import JobResumed
from contracts.events import JobSkipped
from contracts.events import RunQueued
from contracts.events import RunScheduled
from contracts.events import RunWaiting
from domain.scheduling.backfills import BackfillBook
from domain.scheduling.backfills import fold_backfills
from domain.scheduling.decide import Decision
from domain.scheduling.fire import Now
from domain.scheduling.state import SchedulerState
from domain.scheduling.state import evolve
from domain.scheduling.state import forgotten
from domain.scheduling.waiting import unannounced
from infrastructure.bus.port import Bus
from infrastructure.bus.port import Reject
from infrastructure.store.claims_port import RunClaims
from infrastructure.store.port import BackfillsReadModel
from infrastructure.store.port import ExecutionsReadModel
from infrastructure.store.port import JobsReadModel
from services.scheduler.definitions import JobDefinition
from services.scheduler.lookups import ExecutionLookups
from services.scheduler.settings import SchedulerSettings
from services.scheduler.trade_calendars import CalendarBook

logger = logging.getLogger(__name__)

_DECIDED_FIRST = (RunQueued, JobMissed, JobSkipped, JobPaused, JobResumed, RunScheduled, RunWaiting)


class SchedulerReads(JobsReadModel, ExecutionsReadModel, BackfillsReadModel, Protocol):
    """What the scheduler does with the store.

    Read the jobs, executions and backfills the projector folded (it writes nothing there: its decisions are
    events).
    """


@dataclass
class Desk:
    """The leader's shared desk: adapters, catalogue, settings, clocks and the decider's current state."""

    bus: Bus
    store: SchedulerReads
    claims: RunClaims
    definitions: dict[str, JobDefinition]
    settings: SchedulerSettings
    producer: str
    wall: Callable[[], datetime]
    mono: Callable[[], float] = time.monotonic
    state: SchedulerState = field(default_factory=SchedulerState)
    calendars: CalendarBook = field(default_factory=CalendarBook)  # trading days (`policy.calendar`)
    lookups: ExecutionLookups = field(init=False)

    def __post_init__(self) -> None:
        self.lookups = ExecutionLookups(self.store)

    backfills: BackfillBook = field(default_factory=BackfillBook)
    refused_waits: dict[str, RunWaiting] = field(default_factory=dict)
    """Waiting fires (by execution id) whose `RunWaiting` was not confirmed: sent again, the same message."""

    def now(self) -> Now:
        """One reading of both clocks."""
        return Now(wall=self.wall(), mono=self.mono())

    def fold(self, message: Message, *, recorded: str | None = None) -> None:
        """Fold one message (received or published) into the state (`recorded`: see `evolve`)."""
        self.state = evolve(self.state, message, self.now(), recorded=recorded)
        self.backfills = fold_backfills(self.backfills, message)

    async def recorded_end(self, message: Message) -> str | None:
        """The stored status of a `RunQueued`'s execution the state knows nothing of, when it has ended.

        A leader rebuilt after a restart knows only unfinished runs; without this, a late duplicate
        `RunQueued` of a run that ended before would reopen it (sent again, then failed as never taken).
        """
        if not isinstance(message, (RunQueued, RunScheduled, RunWaiting)):
            return None
        execution_id = message.execution_id
        if execution_id in self.state.runs or self.state.outcome(execution_id) is not None:
            return None
        record = await self.lookups.get(execution_id)
        if isinstance(message, RunScheduled):  # a late duplicate of a one-off run released since
            return record.status if record is not None and record.status != "scheduled" else None
        if isinstance(message, RunWaiting):  # a late duplicate of a waiting fire released or skipped since
            return record.status if record is not None and record.status != "waiting" else None
        return record.status if record is not None and record.status in TERMINAL_STATUSES else None

    async def carry_out(self, decision: Decision, **context: str) -> None:
        """Claim if asked, publish the decision's messages, and raise `Reject` for a refused command."""
        if decision.log is not None:
            logger.info(decision.log, extra=context)
        messages = decision.messages
        if decision.claim is not None:
            claim = decision.claim
            if await self.claims.claim_run(claim.execution_id, claim.attempt, claim.holder):
                messages = decision.if_claimed if decision.if_claimed is not None else messages
        await self.publish(messages)
        if decision.rejection is not None:
            raise Reject(decision.rejection)

    async def publish(self, messages: tuple[Message, ...]) -> None:
        """Publish together; decisions are folded first, the rest once confirmed."""
        await self.publish_folded(messages, self.fold_decided(messages))

    def fold_decided(self, messages: Sequence[Message]) -> list[Message]:
        """Fold the decisions among `messages` now and return them.

        Before anything is awaited; what `publish_folded` forgets again if they cannot be published.
        """
        first: list[Message] = [message for message in messages if isinstance(message, _DECIDED_FIRST)]
        for message in first:
            self.fold(message)
        return first

    async def publish_folded(self, messages: Sequence[Message], folded: Sequence[Message]) -> None:
        """Publish `messages` together, folding or forgetting their decisions.

        Publish `messages` together (`folded`: their decisions, folded already by `fold_decided`); the
        decisions are forgotten if any message is not confirmed, the rest is folded once confirmed.

        A waiting fire is kept though (`forgotten` leaves it): its `RunWaiting` goes first in every later
        publish (`refused_waits`) until confirmed, so nothing published after it (the job's next instant,
        which moves its `next_run_time` past the fire) is confirmed before it.
        """
        waits = unannounced(self.state, self.refused_waits)  # a release that fails waits again: kept
        try:
            await self.bus.publish_many((*waits, *messages) if waits else messages)
        except BaseException:
            for message in folded:
                execution_id = getattr(message, "execution_id", None)
                if execution_id is not None:
                    self.state = forgotten(self.state, execution_id)
                if isinstance(message, RunWaiting) and message.execution_id in self.state.waiting:
                    self.refused_waits[message.execution_id] = message
            raise
        for confirmed in (*waits, *folded):  # a run or skip confirmed stands for its fire's wait
            self.refused_waits.pop(getattr(confirmed, "execution_id", ""), None)
        for published in messages:
            if not isinstance(published, _DECIDED_FIRST):
                self.fold(published)
