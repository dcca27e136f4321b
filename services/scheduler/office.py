"""What the leader scheduler does while it leads: take office, fire jobs, handle commands, watch runs.

It only receives, asks the decider (`domain.scheduling`), publishes and keeps time: the clock
(`FireClock`) says which instants are due, the decider says what each becomes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import datetime
from datetime import tzinfo
from typing import Any

from contracts.commands import CancelBackfill
from contracts.commands import RequestBackfill
from contracts.commands import TriggerJob
from contracts.envelope import Command
from contracts.envelope import Event
from contracts.envelope import Message
from contracts.events import JobRegistered
from contracts.events import JobScheduled
from contracts.topology import COMMANDS
from contracts.topology import LIFECYCLE
from contracts.topology import runs_queue
from domain.records import ExecutionRecord
from domain.scheduling.definitions import instants_current
from domain.scheduling.fire import Fire
from domain.scheduling.instants import downtime_fires
from domain.scheduling.instants import stalled_fires
from domain.scheduling.job import Trigger
from domain.scheduling.state import loaded
from infrastructure.bus.port import BusUnavailable
from infrastructure.bus.port import Reject
from infrastructure.bus.port import Subscription
from infrastructure.store.port import ExecutionQuery
from services.scheduler import commands
from services.scheduler import dependencies
from services.scheduler.backfill_runner import BackfillRunner
from services.scheduler.definition_feed import DefinitionFeed
from services.scheduler.definitions import JobDefinition
from services.scheduler.desk import Desk
from services.scheduler.fire_clock import FireClock
from services.scheduler.firing import carry_out_fire
from services.scheduler.firing import carry_out_fires
from services.scheduler.job_editing import DEFINITION_COMMANDS
from services.scheduler.job_editing import JobEditor
from services.scheduler.job_editing import recorded_definitions
from services.scheduler.job_editing import registration
from services.scheduler.keyed_locks import KeyedLocks
from services.scheduler.maintenance import Maintenance
from services.scheduler.one_off_timer import OneOffTimer
from services.scheduler.triggers import SchedulerTrigger
from services.scheduler.triggers import TriggerSpecError
from services.scheduler.triggers import build_trigger

logger = logging.getLogger(__name__)

COMMAND_CONCURRENCY = 16
REFUSED_FIRES_RETRY_S = 1.0  # a fire batch the bus did not confirm is decided again this long after


class Office:
    """One term of leadership: opened when elected, closed when the lease is lost."""

    def __init__(
        self,
        desk: Desk,
        triggers: Mapping[str, SchedulerTrigger],
        timezone: tzinfo,
        catalogue: Mapping[str, JobDefinition] | None = None,
    ) -> None:
        self.desk = desk
        self.editor = JobEditor(desk, self, catalogue if catalogue is not None else dict(desk.definitions))
        self._aps_triggers = dict(triggers)
        self.triggers: dict[str, Trigger] = dict(triggers)  # the same triggers, as the decider reads them
        self.clock = FireClock(timezone, self._on_due)
        self._tasks: set[asyncio.Task[None]] = set()
        self._subscriptions: list[Subscription] = []
        self._maintenance = Maintenance(desk)
        self._one_offs = OneOffTimer(desk)
        self.backfills = BackfillRunner(desk)
        self._ordered = KeyedLocks()
        self.downstreams = dependencies.downstreams_of(desk.definitions, desk.settings.zone)
        self._definition_feed = DefinitionFeed(desk, self.editor, self._definitions_changed)
        self._due: list[tuple[str, list[datetime], int]] = []  # gathered by `_on_due`, fired together
        self._closing = asyncio.Event()

    @property
    def paused_count(self) -> int:
        """Paused jobs: those of the clock, and the `after:` jobs (not on the clock) paused."""
        return self.clock.paused_count + len(self.desk.state.paused & set(self.downstreams))

    async def open(self) -> None:
        """Take office: rebuild what is in flight, register the jobs, catch up, then start firing."""
        desk = self.desk
        desk.state = loaded(await self._active_records(), (), desk.now())
        await self._load_recorded_definitions()
        await self.backfills.load()
        self.downstreams = dependencies.downstreams_of(desk.definitions, desk.settings.zone)
        await dependencies.rebuild_progress(desk, self.downstreams)
        for pool in {definition.pool for definition in desk.definitions.values()}:
            await desk.bus.declare(runs_queue(pool))  # runs wait there until the pool's workers come
        self.clock.start_paused()
        registered = [await self._register(definition) for definition in desk.definitions.values()]
        await desk.bus.publish_many(registered)  # confirmed together: taking office again is quick
        # A predecessor's edits the read model does not have yet, before any command (see the feed).
        await self._definition_feed.start(registered[-1] if registered else None)
        self.clock.resume_all()
        self._subscriptions.append(
            await desk.bus.consume_batches(LIFECYCLE, self.on_lifecycle_batch, max_batch=256, prefetch=256)
        )
        self._subscriptions.append(
            await desk.bus.consume(COMMANDS, self.on_command, prefetch=64, concurrency=COMMAND_CONCURRENCY)
        )
        await dependencies.decide_pending(desk, self.downstreams)
        self._maintenance.start()
        self._one_offs.start()
        self.backfills.start()
        logger.info("scheduler %s leads: %d jobs", desk.producer, len(desk.definitions))

    async def close(self) -> None:
        """End the term: cancel the subscriptions, stop the watch loops and the clock."""
        self._closing.set()
        await self._definition_feed.stop()
        for subscription in self._subscriptions:
            try:
                await subscription.cancel()
            except Exception:
                logger.warning("could not cancel a subscription", exc_info=True)
        await self._maintenance.stop()
        await self._one_offs.stop()
        await self.backfills.stop()
        self.clock.shutdown()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- consumers ----------------------------------------------------------------------------------
    async def on_command(self, message: Message) -> None:
        """Handle a command, in order with the others about its job or execution.

        Commands are handled concurrently, except that those about one job or one execution keep their
        order (a pause and the resume after it); triggers need no order among themselves.
        """
        if not isinstance(message, Command):
            raise Reject(f"the commands queue takes commands only, got {message.type}")
        logger.info("command %s by %s", message.type, message.actor, extra={"command_id": message.message_id})
        if isinstance(message, DEFINITION_COMMANDS):
            async with self._ordered.hold(commands.ordering_key(message)):
                await self.editor.handle(message)
            self._definitions_changed()
            return
        if isinstance(message, (RequestBackfill, CancelBackfill)):
            async with self._ordered.hold(f"backfill:{message.backfill_id}"):
                await self.backfills.handle(message)
            return
        if isinstance(message, TriggerJob):
            await commands.handle_command(self.desk, self.clock, message, self.triggers)
            if message.run_at is not None:
                self._one_offs.wake()
            return
        async with self._ordered.hold(commands.ordering_key(message)):
            await commands.handle_command(self.desk, self.clock, message, self.triggers)

    async def on_lifecycle_batch(self, messages: Sequence[Message]) -> None:
        """What has arrived of the runs, folded in order; acknowledged with one ack per batch.

        Folding is idempotent, so a batch handed again one by one (after a failure) changes nothing twice.
        """
        for message in messages:
            await self.on_lifecycle(message)
        if self.desk.backfills.active:
            self.backfills.wake()

    async def on_lifecycle(self, message: Message) -> None:
        """Fold a run's lifecycle event into the decider's state and start the jobs that follow it."""
        if isinstance(message, Event):
            self.desk.fold(message, recorded=await self.desk.recorded_end(message))
            await dependencies.follow(self.desk, self.downstreams, message)

    def _definitions_changed(self) -> None:
        """The jobs changed (an edit, or a predecessor's edit taken over): the dependency graph again."""
        self.downstreams = dependencies.downstreams_of(self.desk.definitions, self.desk.settings.zone)

    # --- jobs as data (`JobTable`, used by the editor) -----------------------------------------------
    def put_job(self, definition: JobDefinition, trigger: SchedulerTrigger, *, paused: bool) -> None:
        """Fire a job (new, or under a new definition) from the next instant after now."""
        self._aps_triggers[definition.job_id] = trigger
        self.triggers[definition.job_id] = trigger
        self.clock.remove(definition.job_id)
        self.clock.add(definition.job_id, definition.name, trigger, paused=paused)

    async def calendars_changed(self) -> None:
        """The trading-day calendars were reloaded: each job limited to one gets its next run again."""
        desk = self.desk
        for job_id, definition in list(desk.definitions.items()):
            trigger = self._aps_triggers.get(job_id)
            if definition.policy.calendar is None or trigger is None or trigger.upstreams:
                continue
            self.put_job(definition, trigger, paused=job_id in desk.state.paused)
            next_run_time = self.clock.next_run_time(job_id)
            await desk.publish(
                (JobScheduled(producer=desk.producer, job_id=job_id, next_run_time=next_run_time),)
            )

    def drop_job(self, job_id: str) -> None:
        """Never fire a job again (deleted)."""
        self.clock.remove(job_id)
        self._aps_triggers.pop(job_id, None)
        self.triggers.pop(job_id, None)

    async def _load_recorded_definitions(self) -> None:
        """The jobs the event log decided (created, or edited catalogue jobs) replace the settings' ones."""
        desk = self.desk
        views = await desk.store.list_jobs()
        for job_id, definition in recorded_definitions(
            (view.job for view in views), self.editor.catalogue
        ).items():
            try:
                trigger = build_trigger(
                    definition.trigger,
                    desk.settings.zone,
                    dst=definition.dst,
                    calendar=desk.calendars.source(definition.policy.calendar),
                )
            except TriggerSpecError as error:  # the floor or dialect changed since: keep the previous one
                logger.error(
                    "job %s: recorded trigger not usable: %s", job_id, error, extra={"job_id": job_id}
                )
                continue
            desk.definitions[job_id] = definition
            self._aps_triggers[job_id] = trigger
            self.triggers[job_id] = trigger
        for view in views:
            self.editor.last_versions[view.job.job_id] = view.job.job_version

    # --- internals ----------------------------------------------------------------------------------
    async def _active_records(self) -> list[ExecutionRecord]:
        records: list[ExecutionRecord] = []
        for status in ("scheduled", "queued", "running", "waiting"):
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
        trigger = self._aps_triggers[definition.job_id]
        if not trigger.upstreams:  # an `after:` job has no instants: its upstreams' ends run it
            self.clock.add(definition.job_id, definition.name, trigger, paused=paused)
        event = registration(
            definition,
            trigger,
            producer=desk.producer,
            paused=paused,
            paused_reason=(known.paused_reason if known is not None else definition.disabled_reason)
            if paused
            else None,
            next_run_time=self.clock.next_run_time(definition.job_id),
        )
        desk.fold(event)
        if not paused and known is not None and known.next_run_time is not None:
            await self._catch_up(definition, known.next_run_time)
        return event

    async def _catch_up(self, definition: JobDefinition, expected: datetime) -> None:
        """The instants since the last one a leader decided.

        From the job's current trigger: within the grace time they run, beyond it they are missed or caught up
        by the policy (see `downtime_fires`).
        """
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
        """Gather what the clock hands over in one go.

        Every job due at one instant: one task decides and publishes the burst as one batch once the clock is
        done, so the timer never waits on I/O.
        """
        definition = self.desk.definitions.get(job_id)
        if definition is not None:  # the version the instants were computed under
            self._due.append((job_id, instants, definition.version))
            if len(self._due) == 1:
                self._spawn(self._fire_due())

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fire_again(self, due: list[tuple[str, list[datetime], int]]) -> None:
        """Hand the instants of a fire batch the bus did not confirm to the next batch, after a pause.

        Not confirmed is not known to be published, and the job's next confirmed instant would move its
        `next_run_time` past these, where no catch-up looks again: each is decided again (its execution id is
        its instant's, so a run that did reach the store is found; one not projected yet is sent again and
        runs once, a worker claiming each attempt; an instant now past its grace time is recorded missed).
        When the term ends first, the next leader's catch-up has them (`next_run_time` was not moved: the
        batch's `JobScheduled` were refused with it). A fire that waits stays in the state (deciding it again
        does nothing): its `RunWaiting` goes first in the desk's next publish (`Desk.refused_waits`), ahead
        of any `JobScheduled`.
        """
        try:
            await asyncio.wait_for(self._closing.wait(), REFUSED_FIRES_RETRY_S)
            return
        except TimeoutError:
            pass
        idle = not self._due  # else a batch is gathering: its task takes these too
        self._due[:0] = due
        if idle and self._due:
            self._spawn(self._fire_due())

    async def _fire_due(self) -> None:
        """Decide and publish every fire gathered by `_on_due` as one batch, then the jobs' next instants."""
        desk = self.desk
        due, self._due = self._due, []
        fires: list[tuple[JobDefinition, Fire]] = []
        job_ids: list[str] = []
        for job_id, instants, version in due:
            definition = desk.definitions.get(job_id)
            if definition is None or not instants_current(version, definition.version):
                # Instants of a trigger an edit (or a deletion) replaced before they were decided: dropped.
                logger.info(
                    "instants of a replaced definition of %s dropped", job_id, extra={"job_id": job_id}
                )
                continue
            fires.extend((definition, fire) for fire in stalled_fires(definition, instants))
            job_ids.append(job_id)
        try:
            await carry_out_fires(desk, fires)
            await asyncio.sleep(0)  # the runs just sent go first (a worker in this process starts them)
            scheduled = tuple(
                JobScheduled(
                    producer=desk.producer, job_id=job_id, next_run_time=self.clock.next_run_time(job_id)
                )
                for job_id in job_ids
            )
            await desk.publish(scheduled)
        except BusUnavailable as error:
            logger.warning(
                "could not publish %d fire(s): %s; deciding them again in %g s",
                len(fires),
                error,
                REFUSED_FIRES_RETRY_S,
                extra={"job_ids": job_ids},
            )
            self._spawn(self._fire_again(due))
        except Exception:
            logger.exception("could not publish %d fire(s)", len(fires), extra={"job_ids": job_ids})
