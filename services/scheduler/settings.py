"""Settings of the scheduler service."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from domain.run_policy import MAX_WAIT_TIMEOUT_S, MAX_WINDOW_S, MIN_WAIT_TIMEOUT_S, MIN_WINDOW_S
from infrastructure.job_limit_settings import JobLimitSettings


class RetentionSettings(BaseModel):
    """How long read-model records are kept, per execution status (days); the event store keeps longer."""

    success_days: float = Field(default=30, gt=0)
    failed_days: float = Field(default=90, gt=0)
    partial_days: float = Field(default=90, gt=0)  # like failures: what was left undone may need a look
    cancelled_days: float = Field(default=30, gt=0)
    missed_days: float = Field(default=30, gt=0)
    skipped_days: float = Field(default=7, gt=0)
    history_days: float = Field(default=180, gt=0)
    event_days: float = Field(default=365, gt=0)
    interval_s: float = Field(default=3600, gt=0, description="how often retention is applied")


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


class SchedulerSettings(JobLimitSettings):
    """The scheduler process's settings: heartbeats, run timeouts, leadership, retention, jobs."""

    heartbeat_interval_s: float = Field(
        default=5.0, gt=0, description="how often the scheduler says it lives"
    )
    run_heartbeat_timeout_s: float = Field(
        default=30.0, gt=0, description="a running run not heard of for this long is declared lost"
    )
    queued_run_redispatch_s: float = Field(
        default=60.0, gt=0, description="a queued run no worker took is sent again after this long (doubling)"
    )
    queued_run_max_wait_s: float = Field(
        default=86_400.0, gt=0, description="a queued run no worker took for this long is ended failed"
    )
    leader_retry_s: float = Field(default=1.0, gt=0, description="how often a standby tries to take over")
    maintenance_interval_s: float = Field(default=1.0, gt=0)
    canary_trigger: str = "interval:300"
    tushare_token_set: bool = Field(
        default=False,
        description="whether the workers have SCHEDULER_TUSHARE_TOKEN; without it the tushare jobs are "
        "registered paused (the scheduler itself never reads the token)",
    )
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    jobs: dict[str, JobOverride] = Field(default_factory=dict)
    trade_calendar_reload_s: float = Field(
        default=300.0,
        ge=1,
        le=86_400,
        description="how often the trading-day calendars are checked in the store and reloaded when changed",
    )

    @field_validator("jobs")
    @classmethod
    def _job_ids_in_lower_case(cls, value: dict[str, JobOverride]) -> dict[str, JobOverride]:
        """Environment variables are often upper case (`SCHEDULER_JOBS__NEWS_SYNC__ENABLED`); ids are not."""
        return {job_id.lower(): override for job_id, override in value.items()}
