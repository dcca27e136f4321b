"""What the active (leader) scheduler does while it leads: fire jobs, handle commands, watch runs.

APScheduler 3 is only the clock: each job is registered with a no-op function, and its submission event
(which carries the scheduled time) is turned here into a run, a `JobSkipped` (overlap policy) or a
`JobMissed` (later than the job's grace time), so no fire is ever dropped silently. APScheduler's own
misfire check is off (`misfire_grace_time=None`) since the per-job grace time is applied here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any

from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger

from contracts.commands import TriggerJob
from contracts.envelope import Command, Event, Message
from contracts.events import JobRegistered, JobScheduled, RunQueued
from contracts.topology import COMMANDS, LIFECYCLE, runs_queue
from domain.run_policy import catch_up, fires_between
from infrastructure.bus.port import BusUnavailable, Reject, Subscription
from infrastructure.store.port import ExecutionQuery
from services.scheduler import commands
from services.scheduler.definitions import JobDefinition
from services.scheduler.firing import FireOutcome, decide_fire, scheduled_execution_id
from services.scheduler.maintenance import Maintenance
from services.scheduler.run_tracker import KeyedLocks, RunTracker
from services.scheduler.triggers import describe

if TYPE_CHECKING:
    from services.scheduler.service import SchedulerService

logger = logging.getLogger(__name__)


COMMAND_CONCURRENCY = 16


async def _no_op() -> None:
    """What APScheduler "runs": the real work is the submission listener's."""


class Office:
    def __init__(self, service: SchedulerService, triggers: dict[str, BaseTrigger]) -> None:
        self.service = service
        self.bus = service.bus
        self.store = service.store
        self.definitions = service.definitions
        self.producer = service.producer
        self.tracker = RunTracker()
        self._triggers = triggers
        self._aps = AsyncIOScheduler(timezone=service.timezone)
        self._tasks: set[asyncio.Task[None]] = set()
        self._subscriptions: list[Subscription] = []
        self._maintenance = Maintenance(self)
        self._ordered = KeyedLocks()

    @property
    def paused_count(self) -> int:
        return sum(1 for job in self._aps.get_jobs() if job.next_run_time is None)

    async def open(self) -> None:
        """Take office: rebuild what is in flight, register the jobs, catch up, then start firing."""
        self.tracker.load(await self._active_records(), self.service.now())
        for pool in {definition.pool for definition in self.definitions.values()}:
            await self.bus.declare(runs_queue(pool))  # runs wait there until the pool's workers come
        self._aps.add_listener(self._on_submitted, EVENT_JOB_SUBMITTED)
        self._aps.start(paused=True)
        registered = [await self._register(definition) for definition in self.definitions.values()]
        await self.bus.publish_many(registered)  # confirmed together: taking office again is quick
        self._aps.resume()
        self._subscriptions.append(await self.bus.consume(LIFECYCLE, self.on_lifecycle, prefetch=256))
        self._subscriptions.append(
            await self.bus.consume(COMMANDS, self.on_command, prefetch=64, concurrency=COMMAND_CONCURRENCY)
        )
        self._maintenance.start()
        logger.info("scheduler %s leads: %d jobs", self.service.scheduler_id, len(self.definitions))

    async def close(self) -> None:
        for subscription in self._subscriptions:
            try:
                await subscription.cancel()
            except Exception:
                logger.warning("could not cancel a subscription", exc_info=True)
        await self._maintenance.stop()
        if self._aps.running:
            self._aps.shutdown(wait=False)
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def publish(self, message: Message) -> None:
        await self.bus.publish(message)
        if isinstance(message, RunQueued):
            self.tracker.queued(message)

    # --- consumers ----------------------------------------------------------------------------------
    async def on_command(self, message: Message) -> None:
        """Commands are handled concurrently, except that those about one job or one execution keep their
        order (a pause and the resume after it); triggers need no order among themselves."""
        if not isinstance(message, Command):
            raise Reject(f"the commands queue takes commands only, got {message.type}")
        logger.info("command %s by %s", message.type, message.actor, extra={"command_id": message.message_id})
        if isinstance(message, TriggerJob):
            await commands.handle_command(self, message)
            return
        async with self._ordered.hold(commands.ordering_key(message)):
            await commands.handle_command(self, message)

    async def on_lifecycle(self, message: Message) -> None:
        if isinstance(message, Event):
            self.tracker.observe(message, self.service.now())

    # --- used by the command handlers -----------------------------------------------------------
    def pause(self, job_id: str) -> None:
        self._aps.pause_job(job_id)

    def resume(self, job_id: str) -> datetime | None:
        job = self._aps.resume_job(job_id)
        return job.next_run_time if job is not None else None

    def next_run_time(self, job_id: str) -> datetime | None:
        job = self._aps.get_job(job_id)
        return job.next_run_time if job is not None else None

    async def run_or_refuse(self, definition: JobDefinition, **fire: Any) -> None:
        """Publish what one fire (scheduled or manual) becomes: a run, a skip or a miss.

        A run is counted as active before anything is awaited, so concurrent fires of one job see it (the
        overlap policy holds); the run's messages are published together, confirmed concurrently."""
        outcome: FireOutcome = decide_fire(
            definition,
            active_runs=self.tracker.active_count(definition.job_id),
            now=self.service.now(),
            producer=self.producer,
            **fire,
        )
        queued = [message for message in outcome.messages if isinstance(message, RunQueued)]
        for message in queued:
            self.tracker.queued(message)
        try:
            await self.bus.publish_many(outcome.messages)
        except BaseException:
            for message in queued:
                self.tracker.forget(message.execution_id)
            raise

    # --- internals ----------------------------------------------------------------------------------
    async def _active_records(self) -> list[Any]:
        records = []
        for status in ("queued", "running"):
            offset = 0
            while True:
                page, total = await self.store.list_executions(
                    ExecutionQuery(status=status, limit=200, offset=offset)
                )
                records.extend(page)
                offset += len(page)
                if not page or offset >= total:
                    break
        return records

    async def _register(self, definition: JobDefinition) -> JobRegistered:
        trigger = self._triggers[definition.job_id]
        known = await self.store.get_job(definition.job_id)
        paused = known.paused if known is not None else not definition.enabled
        self._aps.add_job(
            _no_op,
            trigger=trigger,
            id=definition.job_id,
            name=definition.name,
            misfire_grace_time=None,
            coalesce=definition.coalesce,
            max_instances=1000,
            **({"next_run_time": None} if paused else {}),
        )
        if not paused and known is not None and known.next_run_time is not None:
            await self._catch_up(definition, trigger, known.next_run_time)
        return JobRegistered(
            producer=self.producer,
            job_id=definition.job_id,
            name=definition.name,
            job_kind=definition.job_kind,
            trigger=describe(trigger),
            kwargs=definition.kwargs,
            paused=paused,
            paused_reason=(known.paused_reason if known is not None else definition.disabled_reason)
            if paused
            else None,
            next_run_time=self.next_run_time(definition.job_id),
            misfire_grace_time=definition.misfire_grace_time,
            max_instances=definition.max_instances,
            coalesce=definition.coalesce,
        )

    async def _catch_up(self, definition: JobDefinition, trigger: BaseTrigger, expected: datetime) -> None:
        """Fires due while no scheduler led: recorded missed (bounded), the latest run once if asked."""
        now = self.service.now()
        due = fires_between(trigger.get_next_fire_time, expected, now, limit=10_000)
        plan = catch_up(definition.policy, due)
        for scheduled_time in plan.missed:
            if await self.store.get_execution(scheduled_execution_id(definition.job_id, scheduled_time)):
                continue  # the previous leader handled this fire before it went away
            await self.run_or_refuse(definition, scheduled_time=scheduled_time, downtime=True)
        if plan.run is not None:
            await self.run_or_refuse(definition, scheduled_time=plan.run, catching_up=True)
        if plan.dropped:
            logger.warning(
                "%d older fires of %s during the downtime were not recorded (max_catch_up_records)",
                plan.dropped,
                definition.job_id,
                extra={"job_id": definition.job_id},
            )

    def _on_submitted(self, event: JobSubmissionEvent) -> None:
        for scheduled_time in event.scheduled_run_times:
            self._spawn(self._fire(event.job_id, scheduled_time))

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fire(self, job_id: str, scheduled_time: datetime) -> None:
        try:
            await self.run_or_refuse(self.definitions[job_id], scheduled_time=scheduled_time)
            await self.publish(
                JobScheduled(producer=self.producer, job_id=job_id, next_run_time=self.next_run_time(job_id))
            )
        except BusUnavailable as error:  # accounted for when office is taken again (catch-up)
            logger.warning("could not publish a fire: %s", error, extra={"job_id": job_id})
        except Exception:
            logger.exception("could not publish a fire", extra={"job_id": job_id})
