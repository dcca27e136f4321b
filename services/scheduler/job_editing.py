"""Jobs as data in the leader: create, change, delete and reset jobs at run time.

The decider (`domain.scheduling.definition_commands`) says what a command becomes; here the leader
publishes it together with the job's new registration (`JobRegistered` first, so a read that shows the new
version shows the new next run too), and only then moves its clock: a command whose events could not be
published changes nothing, and is applied when it is delivered again. A run in flight keeps the kwargs it
was queued with; the next fire follows the new trigger, computed from now (an edit never fires the past).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any
from typing import Protocol

from contracts.commands import CancelExecution
from contracts.commands import ChangeJob
from contracts.commands import CreateJob
from contracts.commands import DeleteJob
from contracts.commands import ResetJob
from contracts.envelope import Message
from contracts.events import JobChanged
from contracts.events import JobCreated
from contracts.events import JobDeleted
from contracts.events import JobRegistered
from contracts.topology import runs_queue
from domain.job_definition_projection import DefinitionEvent
from domain.records import JobRecord
from domain.run_policy import DEFAULT_WINDOW_S
from domain.run_policy import OPTIONAL_POLICY_FIELDS
from domain.run_policy import RunPolicy
from domain.same_fields import copied
from domain.scheduling.definition_commands import DefinitionCommand
from domain.scheduling.definition_commands import DefinitionFacts
from domain.scheduling.definition_commands import decide_definition
from domain.scheduling.definitions import Definition
from domain.scheduling.definitions import flat_policy
from domain.triggers.dst import DEFAULT_DST_POLICY
from domain.triggers.trading_days import calendar_of
from services.scheduler.definitions import JobDefinition
from services.scheduler.desk import Desk
from services.scheduler.triggers import SchedulerTrigger
from services.scheduler.triggers import build_trigger
from services.scheduler.triggers import describe

logger = logging.getLogger(__name__)

DEFINITION_COMMANDS = (CreateJob, ChangeJob, DeleteJob, ResetJob)
_SAME_NAMED = (
    "trigger", "version", "origin", "incarnation", "display_name", "description", "last_command_id",
)  # fmt: skip
"""The fields a definition gives the scheduler's job definition under the same names, as they are."""


class JobTable(Protocol):
    """What the editor changes in the leader: the jobs' clock entries and triggers."""

    def put_job(self, definition: JobDefinition, trigger: SchedulerTrigger, *, paused: bool) -> None:
        """Put a job on the clock with its trigger (replacing its entry), paused or not."""

    def drop_job(self, job_id: str) -> None:
        """Take a job off the clock and out of the triggers."""


def as_definition(job: JobDefinition, *, paused: bool) -> Definition:
    """The scheduler's job definition as editable data."""
    policy = job.policy
    # The ids, trigger, operators' metadata and bookkeeping under the same names; the policy flattened.
    return copied(
        Definition,
        job,
        kwargs=dict(job.kwargs),
        paused=paused,
        policy=flat_policy(policy, job.misfire_grace_time, job.pool, dependency_fields(policy)),
        origin="created" if job.origin == "created" else "catalogue",
    )


def registration(
    job: JobDefinition,
    trigger: SchedulerTrigger,
    *,
    producer: str,
    paused: bool,
    paused_reason: str | None,
    next_run_time: datetime | None,
) -> JobRegistered:
    """The `JobRegistered` event of a job put on the clock with this trigger, paused or not."""
    return JobRegistered(
        producer=producer,
        job_id=job.job_id,
        name=job.name,
        job_kind=job.job_kind,
        trigger=describe(trigger),
        kwargs=job.kwargs,
        paused=paused,
        paused_reason=paused_reason,
        next_run_time=next_run_time,
        misfire_grace_time=job.misfire_grace_time,
        max_instances=job.max_instances,
        coalesce=job.coalesce,
        definition=as_definition(job, paused=paused).fields(),
        job_version=job.version,
        dst_repeated=job.dst.repeated,
        dst_skipped=job.dst.skipped,
    )


def dependency_fields(policy: RunPolicy) -> dict[str, Any]:
    """The dependency fields of a run policy that differ from the defaults.

    A job without dependencies shows none of them.
    """
    fields: dict[str, Any] = {}
    if policy.accept_partial:
        fields["accept_partial"] = True
    if policy.window is not None:
        fields["window"] = policy.window
    if policy.window_s != DEFAULT_WINDOW_S:
        fields["window_s"] = policy.window_s
    if policy.after:
        fields["after"] = list(policy.after)
        fields["wait_timeout_s"] = policy.wait_timeout_s
    return fields


def job_definition_of(definition: Definition, base: JobDefinition | None) -> JobDefinition:
    """A definition as the scheduler fires it (a catalogue job keeps its name, DST policy and the rest)."""
    policy: Mapping[str, Any] = definition.policy
    start = base or JobDefinition(
        job_id=definition.job_id,
        name=definition.display_name or definition.job_id,
        job_kind=definition.job_kind,
        trigger=definition.trigger,
        dst=DEFAULT_DST_POLICY,
    )
    run_policy = replace(
        start.policy if base is not None else RunPolicy(),
        **{name: policy[name] for name in OPTIONAL_POLICY_FIELDS if name in policy},
        calendar=calendar_of(policy),
    )
    run_policy = replace(run_policy, after=tuple(policy.get("after") or ()))
    return replace(
        start,
        **{name: getattr(definition, name) for name in _SAME_NAMED},
        kwargs=dict(definition.kwargs),
        enabled=not definition.paused,
        disabled_reason=None if not definition.paused else start.disabled_reason,
        misfire_grace_time=int(policy.get("misfire_grace_time", start.misfire_grace_time)),
        policy=run_policy,
        pool=str(policy.get("pool", start.pool)),
    )


def recorded_definitions(
    records: Iterable[JobRecord], catalogue: Mapping[str, JobDefinition]
) -> dict[str, JobDefinition]:
    """The jobs the event log decided.

    Created and not deleted, or catalogue jobs edited, from the jobs read model: what a new leader fires
    instead of the settings' definitions.
    """
    jobs: dict[str, JobDefinition] = {}
    for record in records:
        if record.deleted or record.definition is None:
            continue
        base = catalogue.get(record.job_id)
        if base is None and record.origin != "created":
            continue
        definition = Definition(
            job_id=record.job_id,
            job_kind=record.job_kind,
            trigger=str(record.definition.get("trigger", "")),
            version=record.job_version,
            origin="created" if record.origin == "created" else "catalogue",
            incarnation=record.incarnation,
            last_command_id=record.last_command_id,
        ).with_fields(record.definition)
        jobs[record.job_id] = job_definition_of(definition, base)
    return jobs


class JobEditor:
    """Applies definition commands in the leader (one job's commands one after the other)."""

    def __init__(self, desk: Desk, table: JobTable, catalogue: Mapping[str, JobDefinition]) -> None:
        self.desk = desk
        self.table = table
        self.catalogue = dict(catalogue)
        self.last_versions: dict[str, int] = {}
        self._graph = asyncio.Lock()

    async def handle(self, command: DefinitionCommand) -> None:
        """Decide a definition command, publish its events and the new registration, then move the clock.

        One command at a time: each is decided on the dependency graph the one before left (two concurrent
        edits never close a cycle between them).
        """
        async with self._graph:
            await self._handle(command)

    async def _handle(self, command: DefinitionCommand) -> None:
        desk = self.desk
        now = desk.now()
        decision = decide_definition(command, await self._facts(command), now, desk.producer)
        if decision.rejection is not None or not decision.messages:
            await desk.carry_out(decision, command_id=command.message_id)
            return
        if decision.log is not None:
            logger.info(decision.log, extra={"job_id": command.job_id, "command_id": command.message_id})
        first = decision.messages[0]
        if isinstance(first, JobDeleted):
            await desk.publish(decision.messages)
            self._deleted(first)
            await self._cancel(command, first.cancelled)
            return
        await self._put(self._applied(command.job_id, first), decision.messages)

    async def fold(self, event: DefinitionEvent) -> bool:
        """Apply a definition event this leader has not applied yet; False when it knows it already.

        Events come back to every leader (`DEFINITIONS`): its own, skipped by their version, and those of a
        leader that died before the jobs read model had them, applied here (with the job's new registration,
        so the read model shows what fires). In order with the commands: one at a time, as they are.
        """
        async with self._graph:
            known = self.known_version(event.job_id)
            if event.job_version <= known:
                return False
            if event.job_version > known + 1:
                logger.warning(
                    "job %s: version %d applied over %d (the versions between are not known here)",
                    event.job_id,
                    event.job_version,
                    known,
                    extra={"job_id": event.job_id},
                )
            if isinstance(event, JobDeleted):
                self._deleted(event)
                return True
            if isinstance(event, JobChanged) and event.job_id not in self.desk.definitions:
                logger.error(
                    "job %s: change to version %d of a job not known here ignored",
                    event.job_id,
                    event.job_version,
                    extra={"job_id": event.job_id},
                )
                return False
            await self._put(self._applied(event.job_id, event), ())
            logger.info(
                "job %s: version %d taken over from %s",
                event.job_id,
                event.job_version,
                event.producer,
                extra={"job_id": event.job_id},
            )
            return True

    def known_version(self, job_id: str) -> int:
        """The latest version of the job's definition this leader has applied (0: none)."""
        job = self.desk.definitions.get(job_id)
        return max(self.last_versions.get(job_id, 0), job.version if job is not None else 0)

    async def _put(self, job: JobDefinition, messages: tuple[Message, ...]) -> None:
        """Publish the job's new registration (and `messages`), then fire it under its new definition."""
        desk = self.desk
        trigger = build_trigger(
            job.trigger,
            desk.settings.zone,
            dst=job.dst,
            calendar=desk.calendars.source(job.policy.calendar),
        )
        paused = not job.enabled
        registered = self._registration(job, trigger, paused, desk.now().wall)
        await desk.bus.declare(runs_queue(job.pool))  # a new pool's runs wait there for its workers
        await desk.publish((registered, *messages))
        desk.definitions[job.job_id] = job
        self.last_versions[job.job_id] = job.version
        self.table.put_job(job, trigger, paused=paused)

    async def _facts(self, command: DefinitionCommand) -> DefinitionFacts:
        desk = self.desk
        job = desk.definitions.get(command.job_id)
        current = as_definition(job, paused=job.job_id in desk.state.paused) if job is not None else None
        catalogue = self.catalogue.get(command.job_id)
        last_version = self.last_versions.get(command.job_id, 0)
        if current is None:
            record = await desk.store.get_job(command.job_id)
            last_version = max(last_version, record.job_version if record is not None else 0)
        settings = desk.settings
        return DefinitionFacts(
            current=current,
            last_version=max(last_version, current.version if current is not None else 0),
            catalogue=as_definition(catalogue, paused=not catalogue.enabled)
            if catalogue is not None
            else None,
            job_count=len(desk.definitions),
            max_jobs=settings.max_jobs,
            min_interval_s=settings.trigger_min_interval_s,
            active_runs=tuple(
                run.execution_id for run in desk.state.runs.values() if run.job_id == command.job_id
            ),
            triggers={job_id: item.trigger for job_id, item in desk.definitions.items()},
            gates={
                job_id: item.policy.after for job_id, item in desk.definitions.items() if item.policy.after
            },
        )

    def _applied(self, job_id: str, event: Message) -> JobDefinition:
        """The job definition after a `JobCreated` or `JobChanged`."""
        desk = self.desk
        if isinstance(event, JobCreated):
            definition = Definition(
                job_id=job_id,
                job_kind=event.job_kind,
                trigger=event.trigger,
                version=event.job_version,
                origin="created",
                incarnation=event.message_id,
                last_command_id=event.command_id,
            ).with_fields(
                {
                    name: getattr(event, name)
                    for name in ("kwargs", "display_name", "description", "paused", "policy")
                }
            )
            return job_definition_of(definition, None)
        assert isinstance(event, JobChanged)
        job = desk.definitions[job_id]
        current = as_definition(job, paused=job_id in desk.state.paused)
        changed = replace(
            current.with_fields({name: change.new for name, change in event.changes.items()}),
            version=event.job_version,
            last_command_id=event.command_id,
        )
        return job_definition_of(changed, job)

    def _registration(
        self, job: JobDefinition, trigger: SchedulerTrigger, paused: bool, now: datetime
    ) -> JobRegistered:
        return registration(
            job,
            trigger,
            producer=self.desk.producer,
            paused=paused,
            paused_reason=job.disabled_reason if paused else None,
            next_run_time=None if paused else trigger.next_after(now),
        )

    def _deleted(self, event: JobDeleted) -> None:
        self.desk.definitions.pop(event.job_id, None)
        self.last_versions[event.job_id] = event.job_version
        self.table.drop_job(event.job_id)

    async def _cancel(self, command: DefinitionCommand, execution_ids: tuple[str, ...]) -> None:
        """Cancel the deleted job's runs in flight.

        As the operator asked (one command each: the ordinary cancel path, with its claim of a run no worker
        started).
        """
        desk = self.desk
        for execution_id in execution_ids:
            cancel = CancelExecution(
                producer=desk.producer,
                actor=command.actor,
                execution_id=execution_id,
                **command.caused(),
            )
            await desk.bus.publish(cancel)
