"""Settings of the scheduler service."""

from __future__ import annotations

from pydantic import BaseModel
from pydantic import Field

from infrastructure.job_catalogue_settings import JobCatalogueSettings
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


class SchedulerSettings(JobCatalogueSettings, JobLimitSettings):
    """The scheduler process's settings: heartbeats, run timeouts, leadership, retention, jobs.

    The jobs' settings come from `JobCatalogueSettings`, which the alerter reads too; the limits on jobs and
    backfills made at run time from `JobLimitSettings`, which the API reads too.
    """

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
    reconcile_interval_s: float = Field(
        default=10.0,
        gt=0,
        description="how often the leader reads one page of unfinished executions (queued, running, "
        "scheduled in turn) from the store and adopts those it does not watch",
    )
    reconcile_grace_s: float = Field(
        default=5.0, ge=0, description="an execution changed more recently than this is not adopted yet"
    )
    reconcile_page: int = Field(default=200, gt=0, description="at most this many executions per pass")
    leader_retry_s: float = Field(default=1.0, gt=0, description="how often a standby tries to take over")
    maintenance_interval_s: float = Field(default=1.0, gt=0)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    trade_calendar_reload_s: float = Field(
        default=300.0,
        ge=1,
        le=86_400,
        description="how often the trading-day calendars are checked in the store and reloaded when changed",
    )
