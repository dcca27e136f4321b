"""The limits on jobs and backfills made at run time, read by the API and by the scheduler.

The API checks a request against them before it sends the command, and the scheduler checks again when it
applies it: both read the same variables (`SCHEDULER_MAX_JOBS`, ...), declared here once so that the two
checks cannot drift apart.
"""

from __future__ import annotations

from pydantic import Field

from infrastructure.settings import CommonSettings


class JobLimitSettings(CommonSettings):
    """`CommonSettings` with the limits on run-time jobs and backfills (the API's and the scheduler's)."""

    trigger_min_interval_s: float = Field(
        default=10.0,
        ge=1,
        le=86_400,
        description="a job created or edited at run time fires at most this often (trigger previews refuse "
        "a trigger that can fire more often)",
    )
    max_jobs: int = Field(
        default=500, ge=1, le=10_000, description="at most this many jobs (catalogue included)"
    )
    max_active_backfills: int = Field(
        default=5, ge=1, le=100, description="at most this many backfills not finished at once"
    )
    backfill_max_parallel: int = Field(
        default=8, ge=1, le=64, description="the most runs of one backfill at once an operator may ask for"
    )
