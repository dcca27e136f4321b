"""Job definitions: what the scheduler registers, from the built-in jobs and the settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from domain.run_policy import RunPolicy
from services.workers.canary import CANARY_JOB_ID, CANARY_NAME


@dataclass(frozen=True)
class JobDefinition:
    """One job of the catalogue as the scheduler registers it.

    `enabled` is only the initial state of a job never seen before: afterwards the event log decides
    whether it is paused. `misfire_grace_time` (seconds) is how late a fire may start before it is recorded
    as missed.
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

    @property
    def max_instances(self) -> int:
        """How many runs may be active at once (the original's APScheduler field name)."""
        return self.policy.max_concurrent if self.policy.overlap == "allow" else 1


def canary_definition(trigger: str = "interval:300") -> JobDefinition:
    """`pipeline_canary`: paused by default, triggered by hand to prove the pipeline works."""
    return JobDefinition(
        job_id=CANARY_JOB_ID,
        name=CANARY_NAME,
        job_kind=CANARY_JOB_ID,
        trigger=trigger,
        kwargs={"duration_s": 2, "steps": 4},
        enabled=False,
        disabled_reason="canary: paused by default, trigger it by hand",
        misfire_grace_time=60,
        policy=RunPolicy(overlap="allow", max_concurrent=1000),
    )
