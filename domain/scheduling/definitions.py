"""A job's editable definition as data, and its checks: what `CreateJob`/`ChangeJob` may set.

Pure: the API checks an operator's input with these functions before it sends a command, the scheduler
checks the command again with the same functions before it applies it (a command may come from elsewhere).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from typing import Any
from typing import Literal

from contracts.commands import JOB_ID_PATTERN
from contracts.commands import JobPolicy
from contracts.job_parameters import InvalidParameters
from contracts.job_parameters import check_parameters
from domain.catalogue import CATALOGUE
from domain.catalogue import CatalogueEntry
from domain.run_policy import DEFAULT_WAIT_TIMEOUT_S
from domain.run_policy import DEFAULT_WINDOW_S
from domain.run_policy import RunPolicy
from domain.triggers import TriggerError
from domain.triggers import parse_trigger

POLICY_FIELDS = (
    "overlap",
    "max_concurrent",
    "misfire_grace_time",
    "catch_up",
    "max_attempts",
    "retry_backoff_s",
    "timeout_s",
    "pool",
    "calendar",
)
EDITABLE_FIELDS = ("trigger", "kwargs", "display_name", "description", "paused", "policy")
Origin = Literal["catalogue", "created"]
_JOB_ID = re.compile(JOB_ID_PATTERN)


@dataclass(frozen=True)
class Definition:
    """A job's editable definition and its bookkeeping.

    `version` counts the changes of the job's definition (0: a catalogue job never edited); `incarnation`
    is the `JobCreated` message id of a created job (None for a catalogue job): part of its scheduled
    execution ids. `last_command_id` is the command that set this version (a redelivery does nothing).
    """

    job_id: str
    job_kind: str
    trigger: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    display_name: str | None = None
    description: str | None = None
    paused: bool = False
    policy: Mapping[str, Any] = field(default_factory=dict)
    version: int = 0
    origin: Origin = "catalogue"
    incarnation: str | None = None
    last_command_id: str | None = None

    def fields(self) -> dict[str, Any]:
        """The editable fields, as events carry them."""
        return {
            "trigger": self.trigger,
            "kwargs": dict(self.kwargs),
            "display_name": self.display_name,
            "description": self.description,
            "paused": self.paused,
            "policy": dict(self.policy),
        }

    def with_fields(self, values: Mapping[str, Any]) -> Definition:
        """This definition with some editable fields replaced."""
        known = {name: value for name, value in values.items() if name in EDITABLE_FIELDS}
        return replace(self, **known)


class InvalidDefinition(ValueError):
    """A definition that cannot be used: `field` names the input, the message says why."""

    def __init__(self, field_name: str, message: str, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.field = field_name
        self.conflict = conflict


def kind_entry(job_kind: str) -> CatalogueEntry:
    """The catalogue entry of a kind (InvalidDefinition for an unknown kind)."""
    entry = CATALOGUE.get(job_kind)
    if entry is None:
        raise InvalidDefinition(
            "kind", f"unknown kind {job_kind[:100]!r}; GET /api/scheduler/kinds lists them"
        )
    return entry


def flat_policy(
    policy: RunPolicy, misfire_grace_time: int, pool: str, dependencies: Mapping[str, Any]
) -> dict[str, Any]:
    """A job's policy as a definition carries it: `POLICY_FIELDS` in their order, the calendar only when set.

    `misfire_grace_time` and `pool` are the job's, beside its run policy; `dependencies` (dependency fields)
    stand before the calendar, where the events' JSON has them.
    """
    held = {"misfire_grace_time": misfire_grace_time, "pool": pool}
    flat = {
        name: held[name] if name in held else getattr(policy, name)
        for name in POLICY_FIELDS
        if name != "calendar"
    }
    return {**flat, **dependencies, **({"calendar": policy.calendar} if policy.calendar else {})}


def default_policy(entry: CatalogueEntry) -> dict[str, Any]:
    """A kind's default policy, every field set."""
    return flat_policy(entry.policy, entry.misfire_grace_time, entry.pool, {})


def merged_policy(base: Mapping[str, Any], given: JobPolicy | None) -> dict[str, Any]:
    """`base` with the fields `given` sets (None keeps a field)."""
    merged = dict(base)
    if given is not None:
        merged |= {name: value for name, value in given.model_dump().items() if value is not None}
    if merged.get("calendar") == "none":  # `policy.calendar: "none"` removes the job's calendar
        del merged["calendar"]
    return merged


def with_dependency_defaults(policy: Mapping[str, Any], trigger: str) -> dict[str, Any]:
    """`policy` with the defaults of a new `after` configuration.

    `window: day` (unless `window_s` asks for a rolling window), and `wait_timeout_s` for a time trigger that
    waits (`policy.after`).
    """
    completed = dict(policy)
    try:
        upstreams = parse_trigger(trigger).after
    except TriggerError:
        upstreams = ()
    gate = completed.get("after") or ()
    if (upstreams or gate) and completed.get("window") is None:
        completed["window"] = "rolling" if completed.get("window_s") is not None else "day"
    if gate and completed.get("wait_timeout_s") is None:
        completed["wait_timeout_s"] = DEFAULT_WAIT_TIMEOUT_S
    return completed


def dependency_policy(policy: Mapping[str, Any]) -> RunPolicy:
    """The dependency fields of a definition's policy, as the graph checks read them."""
    return RunPolicy(
        accept_partial=bool(policy.get("accept_partial") or False),
        window_s=float(policy.get("window_s") or DEFAULT_WINDOW_S),
        window=policy.get("window"),
        after=tuple(policy.get("after") or ()),
        wait_timeout_s=float(policy.get("wait_timeout_s") or DEFAULT_WAIT_TIMEOUT_S),
    )


def check_job_id(job_id: str) -> None:
    """InvalidDefinition unless the id matches `JOB_ID_PATTERN`."""
    if not _JOB_ID.fullmatch(job_id):
        raise InvalidDefinition("id", f"id {job_id[:70]!r} does not match {JOB_ID_PATTERN}")


def check_trigger(trigger: str, min_interval_s: float) -> None:
    """InvalidDefinition naming what is wrong with a trigger.

    InvalidDefinition naming the problem (e.g. "minute 61 is outside 0-59", a date that never exists,
    a trigger firing more often than the floor).
    """
    try:
        parse_trigger(trigger, min_interval_s=min_interval_s)
    except TriggerError as error:
        raise InvalidDefinition("trigger", f"trigger {trigger[:100]!r}: {error}") from None


def check_kwargs(job_kind: str, kwargs: Mapping[str, Any]) -> None:
    """InvalidDefinition naming each parameter the kind does not accept."""
    try:
        check_parameters(job_kind, dict(kwargs))
    except InvalidParameters as error:
        raise InvalidDefinition("kwargs", str(error)) from None


def check_definition(definition: Definition, min_interval_s: float) -> None:
    """Every check of an editable definition (the kind, the trigger, the kwargs)."""
    kind_entry(definition.job_kind)
    check_trigger(definition.trigger, min_interval_s)
    check_kwargs(definition.job_kind, definition.kwargs)


def changed_fields(before: Definition, after: Definition) -> dict[str, tuple[Any, Any]]:
    """(old, new) of each editable field that differs."""
    old, new = before.fields(), after.fields()
    return {name: (old[name], new[name]) for name in EDITABLE_FIELDS if old[name] != new[name]}


def instants_current(version_at_due: int, current_version: int | None) -> bool:
    """Whether instants computed under an older definition may still be fired.

    Whether instants the clock computed under definition `version_at_due` may still be fired: not when
    the job was changed or deleted (`current_version` None) since. An edit never fires the replaced
    trigger's instants, and the new trigger's first instant is computed from the time of the edit.
    """
    return current_version is not None and current_version == version_at_due
