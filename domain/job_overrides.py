"""A catalogue job's settings (`SCHEDULER_JOBS__<job_id>__<FIELD>`), and how they change its definition.

The scheduler registers the jobs with them and the alerter sets its rules from the same definitions, so
both read them through `domain.catalogue_definitions`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from typing import Literal

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from domain.job_definition import JobDefinition
from domain.run_policy import MAX_WAIT_TIMEOUT_S
from domain.run_policy import MAX_WINDOW_S
from domain.run_policy import MIN_WAIT_TIMEOUT_S
from domain.run_policy import MIN_WINDOW_S
from domain.run_policy import OPTIONAL_POLICY_FIELDS
from domain.triggers import DstPolicy


class JobOverride(BaseModel):
    """Per-job settings (`SCHEDULER_JOBS__<job_id>__<FIELD>`); anything unset keeps the job's default."""

    model_config = ConfigDict(extra="forbid")

    trigger: str | None = None
    enabled: bool | None = None
    kwargs: dict[str, Any] | None = None
    misfire_grace_time: int | None = Field(default=None, ge=1)
    overlap: Literal["skip", "allow"] | None = None
    max_concurrent: int | None = Field(default=None, ge=1)
    catch_up: Literal["skip", "latest"] | None = None
    max_attempts: int | None = Field(default=None, ge=1, le=100)
    retry_backoff_s: float | None = Field(default=None, ge=0)
    timeout_s: float | None = Field(default=None, gt=0)
    accept_partial: bool | None = Field(
        default=None, description="`after:` jobs: a `partial` upstream run counts as a success"
    )
    window_s: float | None = Field(
        default=None,
        ge=MIN_WINDOW_S,
        le=MAX_WINDOW_S,
        description="`after:` jobs: every upstream must have succeeded within this many seconds",
    )
    window: Literal["day", "rolling"] | None = Field(
        default=None,
        description="`day` (the default of a job with upstreams): upstream successes count on the calendar "
        "day of the decision in the scheduler's timezone; `rolling`: within `window_s`",
    )
    after: list[str] | None = Field(
        default=None,
        max_length=20,
        description="a time trigger waits at its fire for these jobs (JSON list; status `waiting`)",
    )
    wait_timeout_s: float | None = Field(
        default=None,
        ge=MIN_WAIT_TIMEOUT_S,
        le=MAX_WAIT_TIMEOUT_S,
        description="how long a fire waits for its `after` jobs before it is skipped (`wait_timeout`)",
    )
    dst_repeated: Literal["first", "every"] | None = Field(
        default=None, description="repeated hour (autumn): fire a wall time once, or at each occurrence"
    )
    dst_skipped: Literal["shift", "skip"] | None = Field(
        default=None, description="in the skipped hour (spring): fire at the change, or not at all"
    )


def apply_override(definition: JobDefinition, override: JobOverride) -> JobDefinition:
    """The definition with what the override sets (kwargs merged, policy and DST fields one by one)."""
    changes: dict[str, Any] = {}
    if override.trigger is not None:
        changes["trigger"] = override.trigger
    if override.enabled is not None:
        changes["enabled"] = override.enabled
        changes["disabled_reason"] = None if override.enabled else "disabled by settings"
    if override.kwargs is not None:
        changes["kwargs"] = {**definition.kwargs, **override.kwargs}
    if override.misfire_grace_time is not None:
        changes["misfire_grace_time"] = override.misfire_grace_time
    policy_changes = {
        name: getattr(override, name)
        for name in OPTIONAL_POLICY_FIELDS
        if getattr(override, name) is not None
    }
    if override.after is not None:
        policy_changes["after"] = tuple(override.after)
    if policy_changes:
        changes["policy"] = replace(definition.policy, **policy_changes)
    if override.dst_repeated is not None or override.dst_skipped is not None:
        changes["dst"] = DstPolicy(
            repeated=override.dst_repeated or definition.dst.repeated,
            skipped=override.dst_skipped or definition.dst.skipped,
        )
    return replace(definition, **changes) if changes else definition
