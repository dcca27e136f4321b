"""A fire as one value: which job, which scheduled instant, which execution, and how it came to be."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import Literal

from contracts.commands import TriggerJob

_FIRE_NAMESPACE = uuid.UUID("6f1c6d2e-3f4a-4c1e-9a53-0b7f2f6f1a10")

FireOrigin = Literal["scheduled", "catch_up", "downtime", "coalesced", "manual", "upstream"]
"""`scheduled`: an instant the clock reached; `catch_up`: the one instant of a downtime run by the catch-up
policy; `downtime`: an instant that fell while no scheduler led, beyond its grace time; `coalesced`: an
instant of a stall that a later instant of the same job stands for; `manual`: a `TriggerJob` command;
`upstream`: the end of an upstream job's run (`after:` triggers, `domain.scheduling.dependencies`)."""


def scheduled_execution_id(job_id: str, scheduled_time: datetime, incarnation: str | None = None) -> str:
    """Deterministic id of a scheduled fire, from its instant (UTC): every scheduler computes the same id.

    A job created at run time adds its incarnation (its `JobCreated` message id): a job created again under
    the id of a deleted one never reuses the deleted job's execution ids. Catalogue jobs have none.
    """
    instant = scheduled_time.astimezone(UTC)
    key = job_id if incarnation is None else f"{job_id}#{incarnation}"
    return uuid.uuid5(_FIRE_NAMESPACE, f"{key}|{instant.isoformat()}").hex


def incarnation_of(job: object) -> str | None:
    """The incarnation of a job created at run time (None for a catalogue job, or a job without one)."""
    incarnation = getattr(job, "incarnation", None)
    return incarnation if isinstance(incarnation, str) else None


@dataclass(frozen=True)
class Now:
    """One reading of the scheduler's two clocks.

    Wall time decides which instants are due, monotonic seconds measure durations (liveness, retry delays,
    queued-run bounds) and never jump.
    """

    wall: datetime
    mono: float


@dataclass(frozen=True)
class Fire:
    """One fire of one job: a scheduled instant or a manual trigger."""

    job_id: str
    scheduled_time: datetime
    execution_id: str
    origin: FireOrigin = "scheduled"
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    force: bool = False
    actor: str | None = None
    cause: Mapping[str, Any] = field(default_factory=dict)
    refusal: str | None = None  # set: the fire is recorded skipped with this reason (an upstream failed)

    @property
    def is_manual(self) -> bool:
        """Whether an operator asked for this fire (a manual trigger), rather than the trigger's clock."""
        return self.origin == "manual"

    @classmethod
    def at(
        cls, job_id: str, instant: datetime, origin: FireOrigin = "scheduled", incarnation: str | None = None
    ) -> Fire:
        """The fire of a scheduled instant, with its deterministic execution id."""
        return cls(job_id, instant, scheduled_execution_id(job_id, instant, incarnation), origin)

    @classmethod
    def manual(cls, command: TriggerJob) -> Fire:
        """The fire a `TriggerJob` asks for; its execution id is the command's (a redelivery repeats it).

        A one-off run (`run_at`) is scheduled at its moment.
        """
        return cls(
            job_id=command.job_id,
            scheduled_time=command.run_at or command.occurred_at,
            execution_id=command.execution_id,
            origin="manual",
            kwargs=dict(command.kwargs),
            force=command.force,
            actor=command.actor,
            cause=command.caused(),
        )
