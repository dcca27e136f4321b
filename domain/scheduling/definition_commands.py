"""What `CreateJob`, `ChangeJob`, `DeleteJob` and `ResetJob` become: pure functions of the facts.

The rules: a command is checked again (kind, id, trigger, kwargs, cap); a stale `expected_version` is
refused; a command delivered again (same command id, or a create with the same body) does nothing; a
catalogue job is never deleted (it is paused instead); a job with runs in flight is deleted only when the
operator asked to cancel them.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from contracts.commands import ChangeJob
from contracts.commands import CreateJob
from contracts.commands import DeleteJob
from contracts.commands import ResetJob
from contracts.envelope import Command
from contracts.events import FieldChange
from contracts.events import JobChanged
from contracts.events import JobCreated
from contracts.events import JobDeleted
from contracts.events import JobPaused
from contracts.events import JobResumed
from domain.dependencies import deletion_problem
from domain.dependencies import dependency_problem
from domain.same_fields import copied
from domain.scheduling.commands import reject
from domain.scheduling.decide import Decision
from domain.scheduling.decision import answer_envelope
from domain.scheduling.definitions import Definition
from domain.scheduling.definitions import InvalidDefinition
from domain.scheduling.definitions import changed_fields
from domain.scheduling.definitions import check_definition
from domain.scheduling.definitions import check_job_id
from domain.scheduling.definitions import default_policy
from domain.scheduling.definitions import dependency_policy
from domain.scheduling.definitions import kind_entry
from domain.scheduling.definitions import merged_policy
from domain.scheduling.definitions import with_dependency_defaults
from domain.scheduling.fire import Now

DefinitionCommand = CreateJob | ChangeJob | DeleteJob | ResetJob


@dataclass(frozen=True)
class DefinitionFacts:
    """What the leader knows for one definition command.

    `current`: the live job with this id (None: none); `last_version`: the highest version this id ever
    had (a deleted job's included); `catalogue`: the catalogue and settings definition of this id (None: not
    a catalogue job); `job_count`: live jobs; `active_runs`: execution ids of the job's runs in flight;
    `triggers` and `gates` (`policy.after`): every live job's trigger text and upstreams, the dependency
    graph a create, an edit or a delete must keep free of cycles and dangling upstreams.
    """

    current: Definition | None
    last_version: int
    catalogue: Definition | None
    job_count: int
    max_jobs: int
    min_interval_s: float
    active_runs: tuple[str, ...] = ()
    triggers: Mapping[str, str] = field(default_factory=dict)
    gates: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def decide_definition(
    command: DefinitionCommand, facts: DefinitionFacts, now: Now, producer: str
) -> Decision:
    """What one definition command becomes."""
    try:
        match command:
            case CreateJob():
                return _create(command, facts, now, producer)
            case ChangeJob():
                return _change(command, facts, now, producer)
            case ResetJob():
                return _reset(command, facts, now, producer)
        return _delete(command, facts, now, producer)
    except InvalidDefinition as error:
        return reject(command, str(error), now, producer)


def created_definition(command: CreateJob) -> Definition:
    """The definition a `CreateJob` asks for (its policy completed from the kind's defaults)."""
    policy = merged_policy(default_policy(kind_entry(command.job_kind)), command.policy)
    return copied(
        Definition,
        command,
        kwargs=dict(command.kwargs),
        policy=with_dependency_defaults(policy, command.trigger),
        version=0,  # the command's `version` is its message format's, not the job definition's
        origin="created",
    )


def changed_definition(current: Definition, command: ChangeJob) -> Definition:
    """`current` with what a `ChangeJob` sets."""
    values: dict[str, Any] = {
        name: getattr(command, name)
        for name in ("trigger", "kwargs", "display_name", "description", "paused")
        if getattr(command, name) is not None
    }
    if command.policy is not None:
        values["policy"] = merged_policy(current.policy, command.policy)
    trigger = values.get("trigger", current.trigger)
    values["policy"] = with_dependency_defaults(values.get("policy", current.policy), trigger)
    return current.with_fields(values)


def check_graph(
    definition: Definition, live_triggers: Mapping[str, str], live_gates: Mapping[str, Sequence[str]]
) -> None:
    """InvalidDefinition when the definition does not fit the dependency graph.

    InvalidDefinition (422) when the definition's upstreams (`after:` trigger, `policy.after`) name an
    unknown job or itself, close a cycle (named), or its window or timeout is out of range, beside the
    live jobs' triggers and `policy.after` (the API checks it first, the scheduler again: the authority).
    """
    triggers = {**live_triggers, definition.job_id: definition.trigger}
    gates = {job_id: gate for job_id, gate in live_gates.items() if job_id != definition.job_id}
    policy = dependency_policy(definition.policy)
    problem = dependency_problem(triggers, definition.job_id, definition.trigger, policy, gates)
    if problem is not None:
        field_name = "trigger" if problem.startswith(("invalid trigger", "after:", "job ")) else "policy"
        raise InvalidDefinition(field_name, problem)


def _envelope(command: Command, now: Now, producer: str) -> dict[str, Any]:
    return {
        **answer_envelope(command, now, producer),
        "job_id": getattr(command, "job_id", ""),
        "command_id": command.message_id,
    }


def _create(command: CreateJob, facts: DefinitionFacts, now: Now, producer: str) -> Decision:
    check_job_id(command.job_id)
    wanted = created_definition(command)
    current = facts.current
    if current is not None:
        if current.fields() == wanted.fields() and current.job_kind == wanted.job_kind:
            return Decision(log=f"job {command.job_id} exists with this definition: nothing to do")
        raise InvalidDefinition("id", f"job {command.job_id} exists (with another definition)", conflict=True)
    if facts.job_count >= facts.max_jobs:
        raise InvalidDefinition("id", f"at most {facts.max_jobs} jobs: delete one first", conflict=True)
    check_definition(wanted, facts.min_interval_s)
    check_graph(wanted, facts.triggers, facts.gates)
    event = JobCreated(
        **_envelope(command, now, producer),
        job_kind=wanted.job_kind,
        **wanted.fields(),
        job_version=facts.last_version + 1,
    )
    return Decision((event,), log=f"job {command.job_id} created")


def _live(command: ChangeJob | ResetJob | DeleteJob, facts: DefinitionFacts) -> Definition:
    if facts.current is None:
        raise InvalidDefinition("id", f"unknown job {command.job_id!r}")
    return facts.current


def _stale(expected: int | None, current: Definition) -> None:
    if expected is not None and expected != current.version:
        raise InvalidDefinition(
            "version", f"job {current.job_id} is at version {current.version}, not {expected}", conflict=True
        )


def _change(command: ChangeJob, facts: DefinitionFacts, now: Now, producer: str) -> Decision:
    current = _live(command, facts)
    if current.last_command_id == command.message_id:
        return Decision(log=f"change {command.message_id} of {command.job_id} applied already")
    _stale(command.expected_version, current)
    wanted = changed_definition(current, command)
    check_definition(wanted, facts.min_interval_s)
    if {"trigger", "policy"} & set(changed_fields(current, wanted)):
        check_graph(wanted, facts.triggers, facts.gates)
    return _changed(command, current, wanted, now, producer, reset=False)


def _reset(command: ResetJob, facts: DefinitionFacts, now: Now, producer: str) -> Decision:
    current = _live(command, facts)
    if facts.catalogue is None:
        raise InvalidDefinition("id", f"job {command.job_id} is not a catalogue job", conflict=True)
    if current.last_command_id == command.message_id:
        return Decision(log=f"reset {command.message_id} of {command.job_id} applied already")
    _stale(command.expected_version, current)
    return _changed(
        command, current, current.with_fields(facts.catalogue.fields()), now, producer, reset=True
    )


def _changed(
    command: ChangeJob | ResetJob,
    current: Definition,
    wanted: Definition,
    now: Now,
    producer: str,
    *,
    reset: bool,
) -> Decision:
    changes = changed_fields(current, wanted)
    if not changes and not reset:  # a reset is recorded even when nothing differs
        return Decision(log=f"job {command.job_id}: nothing changes")
    envelope = _envelope(command, now, producer)
    event = JobChanged(
        **envelope,
        job_version=current.version + 1,
        changes={name: FieldChange(old=old, new=new) for name, (old, new) in changes.items()},
        reset=reset,
    )
    messages: list[Any] = [event]
    if "paused" in changes:
        pause_fields = {key: value for key, value in envelope.items() if key != "command_id"}
        messages.append(JobPaused(**pause_fields) if wanted.paused else JobResumed(**pause_fields))
    return Decision(tuple(messages), log=f"job {command.job_id} changed: {', '.join(changes)}")


def _delete(command: DeleteJob, facts: DefinitionFacts, now: Now, producer: str) -> Decision:
    current = _live(command, facts)
    if current.origin == "catalogue":
        raise InvalidDefinition(
            "id", f"job {command.job_id} is a catalogue job: pause it instead", conflict=True
        )
    if facts.active_runs and not command.cancel_running:
        raise InvalidDefinition(
            "id",
            f"job {command.job_id} has {len(facts.active_runs)} run(s) in flight: cancel them "
            "(cancel_running=true) or wait",
            conflict=True,
        )
    dependents = deletion_problem(
        {**facts.triggers, current.job_id: current.trigger}, current.job_id, facts.gates
    )
    if dependents is not None:
        raise InvalidDefinition("id", dependents, conflict=True)
    cancelled = facts.active_runs if command.cancel_running else ()
    event = JobDeleted(
        **_envelope(command, now, producer), job_version=current.version + 1, cancelled=cancelled
    )
    return Decision((event,), log=f"job {command.job_id} deleted")
