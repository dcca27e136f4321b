"""The leader's backfills: it takes their commands, starts their days as runs end, and finishes them.

The decider (`domain.scheduling.backfills`, `backfill_commands`) says what each backfill does next; here
the leader looks up what it needs in the store, publishes, and keeps going: after every batch of run
events (`wake`), and at least every `POLL_S` (a day held back by the job's overlap policy starts once the
other runs have ended). The book of backfills is rebuilt from the read model when the leader takes office;
a day's deterministic execution id makes deciding it again (after a failover) a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from contracts.commands import CancelBackfill
from contracts.commands import CancelExecution
from contracts.commands import RequestBackfill
from contracts.events import TERMINAL_STATUSES
from domain.records import BackfillRecord
from domain.same_fields import copied
from domain.scheduling.backfill_commands import BackfillLimits
from domain.scheduling.backfill_commands import decide_cancel
from domain.scheduling.backfill_commands import decide_request
from domain.scheduling.backfills import Backfill
from domain.scheduling.backfills import BackfillBook
from domain.scheduling.backfills import backfill_step
from domain.scheduling.backfills import day_seen
from domain.scheduling.commands import Facts
from domain.scheduling.commands import decide_command
from domain.scheduling.decide import decide_fire
from domain.scheduling.fire import Fire
from infrastructure.store.port import BackfillQuery
from services.scheduler.definitions import JobDefinition
from services.scheduler.desk import Desk

logger = logging.getLogger(__name__)

POLL_S = 1.0
LOAD_PAGE = 100


def book_of(records: list[BackfillRecord]) -> BackfillBook:
    """The book of the backfills the read model shows active (what a new leader starts from)."""
    active = {}
    for record in records:
        started = frozenset(day for day in record.runs if day in record.days)
        ended = {day: status for day, status in record.runs.items() if status in TERMINAL_STATUSES}
        active[record.backfill_id] = copied(
            Backfill,
            record,
            days=tuple(record.days),
            kwargs=dict(record.kwargs),
            cancelled=record.status == "cancelling",
            started=started,
            ended=ended,
        )
    return BackfillBook(active=active)


class BackfillRunner:
    """Runs the backfills (a task of the leader's office)."""

    def __init__(self, desk: Desk) -> None:
        self._desk = desk
        self._task: asyncio.Task[None] | None = None
        self._woken = asyncio.Event()
        self._turn = asyncio.Lock()  # one round at a time: two rounds would decide the same days
        self._cancel_asked: set[str] = set()
        settings = desk.settings
        self.limits = BackfillLimits(settings.max_active_backfills, settings.backfill_max_parallel)

    async def load(self) -> None:
        """Rebuild the book from the read model's active backfills (taking office)."""
        records: list[BackfillRecord] = []
        while True:
            page, total = await self._desk.store.list_backfills(
                BackfillQuery(active=True, limit=LOAD_PAGE, offset=len(records))
            )
            records.extend(page)
            if not page or len(records) >= total:
                break
        self._desk.backfills = book_of(records)

    def wake(self) -> None:
        """Look at the backfills again now (a run ended, or a backfill was asked for)."""
        self._woken.set()

    def start(self) -> None:
        """Start the runner's loop (the leader took office)."""
        self._task = asyncio.create_task(self._loop(), name="scheduler-backfills")

    async def stop(self) -> None:
        """Stop the loop (the leader leaves office)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def handle(self, command: RequestBackfill | CancelBackfill) -> None:
        """Decide a backfill command and publish the outcome (`Reject` for a refused one)."""
        desk = self._desk
        record = await desk.store.get_backfill(command.backfill_id)
        if isinstance(command, RequestBackfill):
            job = desk.definitions.get(command.job_id)
            decision = decide_request(
                desk.backfills,
                command,
                job,
                self.limits,
                desk.now(),
                desk.producer,
                recorded=record is not None,
            )
        else:
            finished = record is not None and record.finished_at is not None
            decision = decide_cancel(desk.backfills, command, desk.now(), desk.producer, recorded=finished)
        await desk.carry_out(decision, command_id=command.message_id, backfill_id=command.backfill_id)
        self.wake()

    async def _loop(self) -> None:
        while True:
            try:
                await self.advance()
            except Exception:
                logger.exception("backfills not advanced; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), timeout=POLL_S)
            self._woken.clear()

    async def advance(self) -> None:
        """One round: every active backfill starts what it may, cancels what it must, or finishes."""
        async with self._turn:
            for backfill_id in list(self._desk.backfills.active):
                backfill = self._desk.backfills.active.get(backfill_id)
                if backfill is not None:
                    await self._step(backfill)

    async def _step(self, backfill: Backfill) -> None:
        desk = self._desk
        backfill = await self._reconciled(backfill)
        job = desk.definitions.get(backfill.job_id)
        step = backfill_step(backfill, desk.state, job, desk.now(), desk.producer)
        for fire in step.fires:
            assert job is not None
            await self._start(job, fire)
        for execution_id in step.to_cancel:
            await self._cancel(execution_id, backfill.cancelled_by or backfill.actor)
        if step.finished is not None:
            await desk.publish((step.finished,))
            logger.info(
                "backfill %s finished: %d done, %d failed, %d cancelled",
                backfill.backfill_id,
                step.finished.done,
                step.finished.failed,
                step.finished.cancelled,
                extra={"job_id": backfill.job_id},
            )

    async def _reconciled(self, backfill: Backfill) -> Backfill:
        """The backfill with the ends of its days the leader does not follow.

        A day that ended while another leader led, its end not folded here: from the state's outcomes, else
        the store.
        """
        desk = self._desk
        for day in backfill.in_flight:
            execution_id = backfill.execution_id(day)
            if execution_id in desk.state.runs:
                continue
            status = desk.state.outcome(execution_id)
            if status not in TERMINAL_STATUSES:
                record = await desk.store.get_execution(execution_id)
                status = record.status if record is not None else None
            if status in TERMINAL_STATUSES:
                desk.backfills = day_seen(desk.backfills, execution_id, status)
        return desk.backfills.active.get(backfill.backfill_id, backfill)

    async def _start(self, job: JobDefinition, fire: Fire) -> None:
        """Decide one day of the backfill.

        Decide one day; a day whose execution exists already (decided by an earlier leader) is only
        noted in the book.
        """
        desk = self._desk
        record = await desk.store.get_execution(fire.execution_id)
        if record is not None:
            status = record.status if record.status in TERMINAL_STATUSES else None
            desk.backfills = day_seen(desk.backfills, fire.execution_id, status)
            return
        decision = decide_fire(desk.state, job, fire, desk.now(), producer=desk.producer)
        await desk.carry_out(decision, job_id=job.job_id, execution_id=fire.execution_id)

    async def _cancel(self, execution_id: str, actor: str) -> None:
        """Ask a run of a cancelled backfill to stop (once per leader)."""
        if execution_id in self._cancel_asked:
            return
        desk = self._desk
        record = await desk.store.get_execution(execution_id)
        if record is None:
            return  # not projected yet: asked at a later round
        self._cancel_asked.add(execution_id)
        if record.status in TERMINAL_STATUSES:
            return
        command = CancelExecution(producer=desk.producer, execution_id=execution_id, actor=actor)
        decision = decide_command(desk.state, command, Facts(record=record), desk.now(), desk.producer)
        with contextlib.suppress(Exception):  # a run that ended meanwhile: its end is on its way
            await desk.carry_out(decision, execution_id=execution_id)
