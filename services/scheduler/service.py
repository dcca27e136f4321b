"""The scheduler service: decides *when* jobs run and is the single handler of commands.

APScheduler 3 is only the clock: each job is registered with a no-op function, and its submission event
(which carries the scheduled time) is turned into a run or a `JobMissed` here, so no fire is ever dropped
silently. Its own misfire check is switched off (`misfire_grace_time=None`) because the per-job grace time
is applied here, where a late fire is recorded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime
from typing import Any, Literal

from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from contracts.envelope import Command, Event, Message, utc_now
from contracts.events import JobRegistered, JobScheduled, SchedulerHeartbeat
from contracts.topology import COMMANDS
from infrastructure.bus.port import Bus, Reject, Subscription
from infrastructure.store.port import Store
from services.scheduler import commands
from services.scheduler.definitions import JobDefinition
from services.scheduler.firing import is_late, missed_event, run_messages, scheduled_execution_id
from services.scheduler.triggers import build_trigger, describe

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
SCHEDULER_ACTOR = "scheduler"


async def _no_op() -> None:
    """What APScheduler "runs": the real work is the submission listener's."""


class SchedulerService:
    def __init__(
        self,
        *,
        bus: Bus,
        store: Store,
        definitions: Mapping[str, JobDefinition],
        timezone: Any,
        scheduler_id: str,
        heartbeat_interval_s: float = 5.0,
        clock: Clock = utc_now,
    ) -> None:
        self.bus = bus
        self.store = store
        self.definitions = dict(definitions)
        self.producer = f"scheduler:{scheduler_id}"
        self._scheduler_id = scheduler_id
        self._timezone = timezone
        self._heartbeat_interval_s = heartbeat_interval_s
        self._clock = clock
        self._aps = AsyncIOScheduler(timezone=timezone)
        self._paused: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._commands: Subscription | None = None
        self._heartbeat: asyncio.Task[None] | None = None

    async def start(self) -> None:
        triggers = {
            job_id: build_trigger(d.trigger, self._timezone) for job_id, d in self.definitions.items()
        }
        self._aps.add_listener(self._on_submitted, EVENT_JOB_SUBMITTED)
        self._aps.start()
        for job_id, definition in self.definitions.items():
            paused = await self._initially_paused(definition)
            # A paused job is added with no next run time; otherwise APScheduler computes it.
            paused_now: dict[str, Any] = {"next_run_time": None} if paused else {}
            self._aps.add_job(
                _no_op,
                trigger=triggers[job_id],
                id=job_id,
                name=definition.name,
                misfire_grace_time=None,
                coalesce=definition.coalesce,
                max_instances=1000,
                **paused_now,
            )
            if paused:
                self._paused.add(job_id)
            await self.publish(self._registered(definition, describe(triggers[job_id])))
        self._commands = await self.bus.consume(COMMANDS, self.on_command, prefetch=16)
        self._heartbeat = asyncio.create_task(self._heartbeat_loop(), name="scheduler-heartbeat")
        logger.info("scheduler started with %d jobs", len(self.definitions))

    async def stop(self) -> None:
        if self._commands is not None:
            await self._commands.cancel()
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
        if self._aps.running:
            self._aps.shutdown(wait=False)
        await asyncio.gather(*self._tasks, return_exceptions=True)
        try:
            await self.publish(self._heartbeat_event(state=0))
        except Exception:
            logger.warning("could not announce the scheduler's stop", exc_info=True)

    async def publish(self, message: Message) -> None:
        await self.bus.publish(message)

    async def on_command(self, message: Message) -> None:
        if not isinstance(message, Command):
            raise Reject(f"the commands queue takes commands only, got {message.type}")
        logger.info("command %s by %s", message.type, message.actor, extra={"command_id": message.message_id})
        await commands.handle_command(self, message)

    # --- used by the command handlers -----------------------------------------------------------
    def pause(self, job_id: str) -> None:
        self._aps.pause_job(job_id)
        self._paused.add(job_id)

    def resume(self, job_id: str) -> datetime | None:
        job = self._aps.resume_job(job_id)
        self._paused.discard(job_id)
        return job.next_run_time if job is not None else None

    def next_run_time(self, job_id: str) -> datetime | None:
        job = self._aps.get_job(job_id)
        return job.next_run_time if job is not None else None

    # --- internals ----------------------------------------------------------------------------------
    async def _initially_paused(self, definition: JobDefinition) -> bool:
        """The event log decides (through the jobs read model); settings only for a job never seen."""
        known = await self.store.get_job(definition.job_id)
        if known is not None:
            return known.paused
        return not definition.enabled

    def _registered(self, definition: JobDefinition, trigger_text: str) -> JobRegistered:
        return JobRegistered(
            producer=self.producer,
            job_id=definition.job_id,
            name=definition.name,
            job_kind=definition.job_kind,
            trigger=trigger_text,
            kwargs=definition.kwargs,
            paused=definition.job_id in self._paused,
            next_run_time=self.next_run_time(definition.job_id),
            misfire_grace_time=definition.misfire_grace_time,
            max_instances=definition.max_instances,
            coalesce=definition.coalesce,
        )

    def _on_submitted(self, event: JobSubmissionEvent) -> None:
        for scheduled_time in event.scheduled_run_times:
            self._spawn(self._fire(event.job_id, scheduled_time))

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fire(self, job_id: str, scheduled_time: datetime) -> None:
        definition = self.definitions[job_id]
        now = self._clock()
        try:
            if is_late(definition, scheduled_time=scheduled_time, now=now):
                await self.publish(
                    missed_event(definition, scheduled_time=scheduled_time, now=now, producer=self.producer)
                )
            else:
                queued, run = run_messages(
                    definition,
                    execution_id=scheduled_execution_id(job_id, scheduled_time),
                    scheduled_time=scheduled_time,
                    producer=self.producer,
                    is_manual=False,
                )
                await self.publish(queued)
                await self.publish(run)
            await self.publish(
                JobScheduled(producer=self.producer, job_id=job_id, next_run_time=self.next_run_time(job_id))
            )
        except Exception:
            logger.exception("could not publish a fire", extra={"job_id": job_id})

    def _heartbeat_event(self, state: Literal[0, 1, 2]) -> Event:
        return SchedulerHeartbeat(
            producer=self.producer,
            scheduler_id=self._scheduler_id,
            state=state,
            total_jobs=len(self.definitions),
            paused_jobs=len(self._paused),
            interval_s=self._heartbeat_interval_s,
        )

    async def _heartbeat_loop(self) -> None:
        while True:
            try:
                await self.publish(self._heartbeat_event(state=1))
            except Exception:
                logger.warning("heartbeat not published (bus unavailable?)", exc_info=True)
            await asyncio.sleep(self._heartbeat_interval_s)
