"""Job definitions: what the scheduler registers, from `domain/catalogue.py` and the settings.

The alerter reads the same definitions (its rules follow each job's trigger and initial state).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any

from domain.catalogue import CatalogueEntry
from domain.run_policy import RunPolicy
from domain.triggers.dst import DEFAULT_DST_POLICY
from domain.triggers.dst import DstPolicy


@dataclass(frozen=True)
class JobDefinition:
    """One job of the catalogue as the scheduler registers it.

    `kwargs` are the parameters every run receives, unless a manual trigger gives its own. `enabled` is only
    the initial state of a job never seen before: afterwards the event log decides whether it is paused.
    `misfire_grace_time` (seconds) is how late a fire may start before it is recorded as missed; `coalesce`:
    the instants a stall left are run once (the newest), the others recorded coalesced. `pool` is the worker
    pool the job's runs are sent to. `dst` is the job's daylight-saving-time policy: once or at each
    occurrence in a repeated hour, shifted to the change or skipped in a skipped hour
    (`domain/triggers/dst.py`).
    """

    job_id: str
    name: str
    job_kind: str
    trigger: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    enabled: bool = True
    disabled_reason: str | None = None
    misfire_grace_time: int = 300
    coalesce: bool = True
    policy: RunPolicy = field(default_factory=RunPolicy)
    pool: str = "default"
    dst: DstPolicy = DEFAULT_DST_POLICY
    # Jobs as data (`services/scheduler/job_editing.py`): the definition's version (0: a catalogue job
    # never edited), where it came from, the incarnation of a created job (its `JobCreated` message id,
    # part of its scheduled execution ids), operators' metadata and the command that set this version.
    version: int = 0
    origin: str = "catalogue"
    incarnation: str | None = None
    display_name: str | None = None
    description: str | None = None
    last_command_id: str | None = None

    @property
    def max_instances(self) -> int:
        """How many runs may be active at once (the original's APScheduler field name)."""
        return self.policy.max_concurrent if self.policy.overlap == "allow" else 1


def definition_of(entry: CatalogueEntry, *, trigger: str | None = None) -> JobDefinition:
    """The catalogue entry as the scheduler registers it (before the settings' overrides)."""
    return JobDefinition(
        job_id=entry.job_id,
        name=entry.name,
        job_kind=entry.job_kind,
        trigger=trigger or entry.trigger,
        kwargs=dict(entry.kwargs),
        enabled=entry.paused_reason is None,
        disabled_reason=entry.paused_reason,
        misfire_grace_time=entry.misfire_grace_time,
        policy=entry.policy,
        pool=entry.pool,
        dst=entry.dst,
    )
