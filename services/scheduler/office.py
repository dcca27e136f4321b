"""What the leader scheduler does while it leads: take office, fire jobs, handle commands, watch runs.

It only receives, asks the decider (`domain.scheduling`), publishes and keeps time: the clock
(`FireClock`) says which instants are due, the decider says what each becomes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

from contracts.commands import TriggerJob
from contracts.envelope import Command, Event, Message
from contracts.events import JobRegistered, JobScheduled
from contracts.topology import COMMANDS, LIFECYCLE, runs_queue
from domain.records import ExecutionRecord
from domain.scheduling.instants import downtime_fires, stalled_fires
from domain.scheduling.job import Trigger
from domain.scheduling.state import loaded
from infrastructure.bus.port import BusUnavailable, Reject, Subscription
from infrastructure.store.port import ExecutionQuery
from services.scheduler import commands
from services.scheduler.definitions import JobDefinition
from services.scheduler.desk import Desk
from services.scheduler.fire_clock import FireClock
from services.scheduler.firing import carry_out_fire
from services.scheduler.keyed_locks import KeyedLocks
from services.scheduler.maintenance import Maintenance
from services.scheduler.triggers import SchedulerTrigger, describe

logger = logging.getLogger(__name__)

COMMAND_CONCURRENCY = 16


class Office:
    """One term of leadership: opened when elected, closed when the lease is lost."""

    def __init__(self, desk: Desk, triggers: Mapping[str, SchedulerTrigger], timezone: tzinfo) -> None:
        self.desk = desk
        self._aps_triggers = dict(triggers)
        self.triggers: dict[str, Trigger] = dict(triggers)  # the same triggers, as the decider reads them
        self.clock = FireClock(timezone, self._on_due)
        self._tasks: set[asyncio.Task[None]] = set()
        self._subscriptions: list[Subscription] = []
        self._maintenance = Maintenance(desk)
        self._ordered = KeyedLocks()

    @property
    def paused_count(self) -> int:
        return self.clock.paused_count

    async def open(self) -> None:
        """Take office: rebuild what is in flight, register the jobs, catch up, then start firing."""
        desk = self.desk
        desk.state = loaded(await self._active_records(), (), desk.now())
        for pool in {definition.pool for definition in desk.definitions.values()}:
            await desk.bus.declare(runs_queue(pool))  # runs wait there until the pool's workers come
        self.clock.start_paused()
        registered = [await self._register(definition) for definition in desk.definitions.values()]
        await desk.bus.publish_many(registered)  # confirmed together: taking office again is quick
        self.clock.resume_all()
        self._subscriptions.append(
            await desk.bus.consume_batches(LIFECYCLE, self.on_lifecycle_batch, max_batch=256, prefetch=256)
        )
        self._subscriptions.append(
            await desk.bus.consume(COMMANDS, self.on_command, prefetch=64, concurrency=COMMAND_CONCURRENCY)
        )
        self._maintenance.start()
        logger.info("scheduler %s leads: %d jobs", desk.producer, len(desk.definitions))

    async def close(self) -> None:
        for subscription in self._subscriptions:
            try:
                await subscription.cancel()
            except Exception:
                logger.warning("could not cancel a subscription", exc_info=True)
        await self._maintenance.stop()
        self.clock.shutdown()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- consumers ----------------------------------------------------------------------------------
    async def on_command(self, message: Message) -> None:
        """Commands are handled concurrently, except that those about one job or one execution keep their
        order (a pause and the resume after it); triggers need no order among themselves."""
        if not isinstance(message, Command):
            raise Reject(f"the commands queue takes commands only, got {message.type}")
        logger.info("command %s by %s", message.type, message.actor, extra={"command_id": message.message_id})
        if isinstance(message, TriggerJob):
            await commands.handle_command(self.desk, self.clock, message, self.triggers)
            return
        async with self._ordered.hold(commands.ordering_key(message)):
            await commands.handle_command(self.desk, self.clock, message, self.triggers)

    async def on_lifecycle_batch(self, messages: Sequence[Message]) -> None:
        """What has arrived of the runs, folded in order; acknowledged with one ack per batch. Folding is
        idempotent, so a batch handed again one by one (after a failure) changes nothing twice."""
        for message in messages:
            await self.on_lifecycle(message)

    async def on_lifecycle(self, message: Message) -> None:
        if isinstance(message, Event):
            self.desk.fold(message, recorded=await self.desk.recorded_end(message))

    # --- internals ----------------------------------------------------------------------------------
    async def _active_records(self) -> list[ExecutionRecord]:
        records: list[ExecutionRecord] = []
        for status in ("queued", "running"):
            offset = 0
            while True:
                page, total = await self.desk.store.list_executions(
                    ExecutionQuery(status=status, limit=200, offset=offset)
                )
                records.extend(page)
                offset += len(page)
                if not page or offset >= total:
                    break
        return records

    async def _register(self, definition: JobDefinition) -> JobRegistered:
        desk = self.desk
        known = await desk.store.get_job(definition.job_id)
        paused = known.paused if known is not None else not definition.enabled
        self.clock.add(
            definition.job_id, definition.name, self._aps_triggers[definition.job_id], paused=paused
        )
        event = JobRegistered(
            producer=desk.producer,
            job_id=definition.job_id,
            name=definition.name,
            job_kind=definition.job_kind,
            trigger=describe(self._aps_triggers[definition.job_id]),
            kwargs=definition.kwargs,
            paused=paused,
            paused_reason=(known.paused_reason if known is not None else definition.disabled_reason)
            if paused
            else None,
            next_run_time=self.clock.next_run_time(definition.job_id),
            misfire_grace_time=definition.misfire_grace_time,
            max_instances=definition.max_instances,
            coalesce=definition.coalesce,
        )
        desk.fold(event)
        if not paused and known is not None and known.next_run_time is not None:
            await self._catch_up(definition, known.next_run_time)
        return event

    async def _catch_up(self, definition: JobDefinition, expected: datetime) -> None:
        """The instants since the last one a leader decided, from the job's current trigger: within the
        grace time they run, beyond it they are missed or caught up by the policy (see `downtime_fires`)."""
        desk = self.desk
        plan = downtime_fires(
            definition, self.triggers[definition.job_id], expected, desk.now(), producer=desk.producer
        )
        if plan.dropped is not None:
            logger.warning(plan.dropped.reason, extra={"job_id": definition.job_id})
            await desk.publish((plan.dropped,))
        for fire in plan.fires:
            await carry_out_fire(desk, definition, fire)

    def _on_due(self, job_id: str, instants: list[datetime]) -> None:
        self._spawn(self._fire(job_id, instants))

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fire(self, job_id: str, instants: list[datetime]) -> None:
        desk = self.desk
        definition = desk.definitions[job_id]
        try:
            for fire in stalled_fires(definition, instants):
                await carry_out_fire(desk, definition, fire)
            next_run_time = self.clock.next_run_time(job_id)
            await desk.publish(
                (JobScheduled(producer=desk.producer, job_id=job_id, next_run_time=next_run_time),)
            )
        except BusUnavailable as error:  # accounted for when office is taken again (catch-up)
            logger.warning("could not publish a fire: %s", error, extra={"job_id": job_id})
        except Exception:
            logger.exception("could not publish a fire", extra={"job_id": job_id})
