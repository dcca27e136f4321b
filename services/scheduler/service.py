"""The scheduler service: one leader at a time fires jobs and handles commands; the others stand by.

Every scheduler process validates its settings, then campaigns for leadership (an exclusive lock on the
broker). The leader takes office (`Office`); a standby retries every `leader_retry_s` and takes over
within seconds of the leader's death. Every process sends heartbeats saying whether it leads.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from collections.abc import Mapping
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from contracts.envelope import Event
from contracts.envelope import utc_now
from contracts.events import SchedulerHeartbeat
from domain.same_fields import copied
from infrastructure.background import BackgroundLoop
from infrastructure.background import Repeating
from infrastructure.background import every
from infrastructure.bus.leadership import LeaderElection
from infrastructure.bus.leadership import Lease
from infrastructure.bus.port import Bus
from infrastructure.bus.port import BusUnavailable
from infrastructure.process import health_line
from infrastructure.store.claims_port import LocalRunClaims
from infrastructure.store.claims_port import RunClaims
from infrastructure.store.trade_calendar_port import TradeCalendarStore
from services.scheduler.definitions import JobDefinition
from services.scheduler.desk import Desk
from services.scheduler.desk import SchedulerReads
from services.scheduler.office import Office
from services.scheduler.settings import SchedulerSettings
from services.scheduler.trade_calendars import CalendarBook
from services.scheduler.triggers import SchedulerTrigger
from services.scheduler.triggers import TriggerSpecError
from services.scheduler.triggers import build_trigger

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
ELECTION_TIMEOUT_S = 15.0
OFFICE_OPEN_TIMEOUT_S = 60.0


class SchedulerSettingsError(ValueError):
    """A job's settings cannot be used; start-up stops with this message (it names job and value)."""


class SchedulerService:
    """One scheduler process: campaigns for leadership, leads while elected, sends heartbeats."""

    def __init__(
        self,
        *,
        bus: Bus,
        store: SchedulerReads,
        election: LeaderElection,
        definitions: Mapping[str, JobDefinition],
        settings: SchedulerSettings,
        scheduler_id: str,
        clock: Clock = utc_now,
        claims: RunClaims | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        calendars: TradeCalendarStore | None = None,
    ) -> None:
        self.bus = bus
        self.store = store
        # The workers' run claims: a queued run is cancelled by claiming it first. Processes apart must
        # share the claim store (the composition roots pass it); in one process a local one does.
        self.claims: RunClaims = claims if claims is not None else LocalRunClaims()
        self.definitions = dict(definitions)
        self.settings = settings
        self.timezone = ZoneInfo(settings.timezone)
        self.scheduler_id = scheduler_id
        self.producer = f"scheduler:{scheduler_id}"
        self._election = election
        self._clock = clock
        self._monotonic = monotonic
        # the trading-day calendars (`policy.calendar`); without a store, the committed seed
        self.calendars = CalendarBook(calendars)
        self._calendar_reload: asyncio.Task[None] | None = None
        self._triggers = validated_triggers(self.definitions, self.timezone, self.calendars)
        self.office: Office | None = None
        self._campaign: asyncio.Task[None] | None = None
        interval = every(lambda: self.settings.heartbeat_interval_s)
        beats = Repeating(self._beat, interval, "scheduler heartbeat failed", logger=logger)
        self._heartbeat = BackgroundLoop("scheduler-heartbeat", beats)
        self._lease: Lease | None = None
        self.elected = asyncio.Event()
        self.last_error: str | None = None
        self._failed_attempts = 0

    def health(self) -> str:
        """`healthy`, or `degraded: …` (the broker away, or office not taken for an error)."""
        line = health_line(self.bus.unreachable_since)
        if line == "healthy" and self.last_error is not None:
            return f"degraded: cannot take office ({self.last_error})"
        return line

    def now(self) -> datetime:
        """The current time from the service's clock (aware UTC)."""
        return self._clock()

    async def start(self) -> None:
        """Load the trading-day calendars, start the heartbeats and the campaign for leadership."""
        await self.calendars.open()
        self._calendar_reload = asyncio.create_task(
            self.calendars.reload_periodically(
                self.settings.trade_calendar_reload_s, self._calendars_changed
            ),
            name="calendar-reload",
        )
        self._heartbeat.start()
        self._campaign = asyncio.create_task(self._campaign_loop(), name="scheduler-campaign")

    async def _calendars_changed(self) -> None:
        """The leader recomputes the next runs of the jobs limited to a trading-day calendar."""
        office = self.office
        if office is not None:
            await office.calendars_changed()

    async def stop(self) -> None:
        """Stop campaigning and leading, and say so in a last heartbeat (state 0)."""
        for task in (self._campaign, self._calendar_reload):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await self._heartbeat.stop()
        try:
            await self.bus.publish(self._heartbeat_event(state=0))
        except Exception:
            logger.warning("could not announce the scheduler's stop", exc_info=True)
        await self.calendars.close()

    async def _campaign_loop(self) -> None:
        """Campaign for ever.

        Any error (the broker away, the store busy) is logged once and retried; a process that stopped
        campaigning would sit idle while health said nothing.
        """
        while True:
            try:
                led = await self._campaign_once()
            except Exception as error:
                self._failed_attempt(error)
                led = False
            if not led:
                await asyncio.sleep(self.settings.leader_retry_s)

    async def _campaign_once(self) -> bool:
        """One try: False when the bus is away or another scheduler leads; True after leading ended."""
        if not self.bus.connected:
            return False  # a lease taken now could not be used: the office needs the bus
        async with asyncio.timeout(ELECTION_TIMEOUT_S):  # a broker half-way up must not hang the campaign
            lease = await self._election.try_acquire()
        if lease is None:
            return False
        self._lease = lease
        try:
            await self._lead(lease)
        finally:
            self._lease = None
            try:
                await lease.release()
            except Exception as error:  # its connection is gone already
                logger.debug("lease not released cleanly: %r", error)
        return True

    def _failed_attempt(self, error: Exception) -> None:
        self._failed_attempts += 1
        self.last_error = f"{type(error).__name__}: {error}"
        if self._failed_attempts == 1:  # once per series, not once per retry
            logger.warning(
                "scheduler %s could not take office (%s); retrying every %g s",
                self.scheduler_id,
                self.last_error,
                self.settings.leader_retry_s,
                exc_info=not isinstance(error, BusUnavailable),
            )

    async def _lead(self, lease: Lease) -> None:
        # The service's adapters, settings, producer and calendars; its own copy of the definitions.
        desk = copied(Desk, self, definitions=dict(self.definitions), wall=self._clock, mono=self._monotonic)
        office = Office(desk, self._triggers, self.timezone, catalogue=self.definitions)
        try:
            async with asyncio.timeout(OFFICE_OPEN_TIMEOUT_S):
                await office.open()
            self.office = office
            self.elected.set()
            if self._failed_attempts:
                logger.warning(
                    "scheduler %s took office after %d failed attempt(s)",
                    self.scheduler_id,
                    self._failed_attempts,
                )
            self._failed_attempts, self.last_error = 0, None
            await self.bus.publish(self._heartbeat_event(state=1))
            await lease.lost.wait()
            logger.warning("scheduler %s lost the leadership; standing by", self.scheduler_id)
        finally:
            self.office = None
            self.elected.clear()
            await asyncio.shield(office.close())

    def _heartbeat_event(self, state: Literal[0, 1, 2]) -> Event:
        office = self.office
        return SchedulerHeartbeat(
            producer=self.producer,
            scheduler_id=self.scheduler_id,
            state=state,
            total_jobs=len(office.desk.definitions if office is not None else self.definitions),
            paused_jobs=office.paused_count if office is not None else 0,
            interval_s=self.settings.heartbeat_interval_s,
            active=office is not None,
        )

    async def _beat(self) -> None:
        try:
            await self.bus.publish(self._heartbeat_event(state=1))
        except BusUnavailable:
            pass  # the outage is logged once by the bus; no line per beat
        except Exception:
            logger.warning("heartbeat not published", exc_info=True)


def validated_triggers(
    definitions: Mapping[str, JobDefinition], timezone: ZoneInfo, calendars: CalendarBook | None = None
) -> dict[str, SchedulerTrigger]:
    """Each job's trigger, built in `timezone` (limited to its trading-day calendar if it has one).

    Raises SchedulerSettingsError, naming the job, for a trigger that cannot be understood.
    """
    triggers: dict[str, SchedulerTrigger] = {}
    for job_id, definition in definitions.items():
        calendar = calendars.source(definition.policy.calendar) if calendars is not None else None
        try:
            triggers[job_id] = build_trigger(
                definition.trigger, timezone, dst=definition.dst, calendar=calendar
            )
        except TriggerSpecError as error:
            raise SchedulerSettingsError(f"job {job_id}: {error}") from None
    return triggers
