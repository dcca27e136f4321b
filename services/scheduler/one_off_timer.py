"""The leader's timer of one-off runs: it sleeps until the next one's moment, then has it decided.

The moments are wall-clock instants (`run_at`), read from the decider's state (`SchedulerState.planned`),
which the leader loads from the read model when it takes office and extends with every `RunScheduled`.
The office wakes it when it plans a run (`wake`), and it wakes at least every `POLL_S` anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from domain.scheduling.one_offs import decide_one_off
from domain.scheduling.state import PlannedRun
from domain.scheduling.state import replanned
from domain.scheduling.state import unplanned
from infrastructure.background import BackgroundLoop
from infrastructure.background import Repeating
from services.scheduler.desk import Desk

logger = logging.getLogger(__name__)

POLL_S = 0.5
"""The longest sleep (a plan folded without `wake`, e.g. from the lifecycle queue, is seen within it)."""


class OneOffTimer:
    """Releases one-off runs at their moment (a task of the leader's office)."""

    def __init__(self, desk: Desk) -> None:
        self._desk = desk
        self._woken = asyncio.Event()
        failure = "one-off runs not released; trying again"
        rounds = Repeating(self.release_due, self._sleep, failure, logger=logger)
        self._loop = BackgroundLoop("scheduler-one-off-runs", rounds)

    def wake(self) -> None:
        """Look at the plans again now (one was just added)."""
        self._woken.set()

    def start(self) -> None:
        """Start releasing (a task of the leader's office)."""
        self._loop.start()

    async def stop(self) -> None:
        """Stop releasing."""
        await self._loop.stop()

    async def _sleep(self) -> None:
        """Until the next one-off run's moment, a `wake`, or `POLL_S`, whichever comes first."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._woken.wait(), timeout=self._sleep_s())
        self._woken.clear()

    def _sleep_s(self) -> float:
        upcoming = self._desk.state.next_planned()
        if upcoming is None:
            return POLL_S
        wait = (upcoming - self._desk.now().wall).total_seconds()
        return min(max(wait, 0.0), POLL_S)

    async def release_due(self) -> None:
        """Decide every one-off run whose moment has come."""
        for planned in self._desk.state.due(self._desk.now().wall):
            await self._release(planned)

    async def _release(self, planned: PlannedRun) -> None:
        desk = self._desk
        record = await desk.store.get_execution(planned.execution_id)
        if planned.execution_id not in desk.state.planned:
            return  # cancelled (or released) while the record was read
        decision = decide_one_off(
            desk.state,
            desk.definitions.get(planned.job_id),
            planned,
            desk.now(),
            producer=desk.producer,
            recorded=record.status if record is not None else None,
        )
        context = {"job_id": planned.job_id, "execution_id": planned.execution_id}
        try:
            await desk.carry_out(decision, **context)
        except Exception as error:
            desk.state = replanned(desk.state, planned)  # tried again at the next round
            logger.warning("one-off run not released: %r", error, extra=context)
            return
        if not decision.messages:  # already released or ended elsewhere: no longer waits here
            desk.state = unplanned(desk.state, planned.execution_id)
