"""Settings of a worker process."""

from __future__ import annotations

from pydantic import Field

from contracts.run_log_settings import RunLogSettings
from infrastructure.settings import CommonSettings
from services.workers.worker import WorkerTimings

# The timings' defaults are the worker's own (`WorkerTimings`); the settings only let them be changed.
_DEFAULT = WorkerTimings()


class WorkerSettings(CommonSettings):
    """A worker process's settings: capacity, heartbeats, grace periods, pool."""

    worker_capacity: int = Field(default=4, ge=1, le=64, description="runs one worker process runs at once")
    worker_heartbeat_interval_s: float = Field(
        default=_DEFAULT.heartbeat_interval_s,
        gt=0,
        description="how often a worker says which runs it is still running",
    )
    cancel_grace_s: float = Field(
        default=_DEFAULT.cancel_grace_s,
        ge=0,
        description="how long a cancelled run may take to stop before it is stopped by force",
    )
    worker_pool: str = Field(
        default="default",
        pattern=r"^[a-z0-9_-]{1,50}$",
        description="the pool whose run queue this worker takes",
    )
    shutdown_grace_s: float = Field(
        default=_DEFAULT.shutdown_grace_s,
        ge=0,
        description="on shutdown, how long runs may finish before they are handed back",
    )
    hold_delivery_s: float = Field(
        default=_DEFAULT.hold_delivery_s,
        ge=0,
        description="a run still going after this long has its delivery acknowledged (consumer_timeout)",
    )
    run_logs: RunLogSettings = Field(
        default_factory=RunLogSettings, description="limits, shipping and retention of each run's own log"
    )

    def timings(self) -> WorkerTimings:
        """The worker's timings these settings give (the others stay the worker's defaults)."""
        return WorkerTimings(
            heartbeat_interval_s=self.worker_heartbeat_interval_s,
            cancel_grace_s=self.cancel_grace_s,
            shutdown_grace_s=self.shutdown_grace_s,
            hold_delivery_s=self.hold_delivery_s,
        )
