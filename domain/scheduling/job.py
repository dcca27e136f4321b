"""What the decider needs to know of a job; its trigger is `domain.triggers`' `Trigger` (`next_after`)."""

from __future__ import annotations

from typing import Any, Protocol

from domain.run_policy import RunPolicy
from domain.triggers.protocol import Trigger


class JobRules(Protocol):
    """A job as the decider reads it (the scheduler's job definitions have these fields)."""

    @property
    def job_id(self) -> str:
        """The job's catalogue id."""

    @property
    def name(self) -> str:
        """The job's display name."""

    @property
    def job_kind(self) -> str:
        """The kind of work the workers run for the job (a key of the workers' catalogue)."""

    @property
    def kwargs(self) -> dict[str, Any]:
        """The parameters every run of the job receives, unless a manual trigger gives its own."""

    @property
    def misfire_grace_time(self) -> int:
        """How late (seconds) a scheduled instant may still start a run."""

    @property
    def coalesce(self) -> bool:
        """Whether the instants a stall left are run once (the newest), the others recorded coalesced."""

    @property
    def policy(self) -> RunPolicy:
        """The job's run policy: overlap, attempts, timeouts."""

    @property
    def pool(self) -> str:
        """The worker pool the job's runs are sent to."""


__all__ = ["JobRules", "Trigger"]
