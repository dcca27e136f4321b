"""Canary jobs of the scheduler's embedded tests: one run by hand only, and one whose fires wait for it."""

from __future__ import annotations

from typing import Any

from domain.run_policy import RunPolicy
from services.scheduler.definitions import JobDefinition

QUICK = {"duration_s": 0}
"""A canary run that ends at once."""


def by_hand(job_id: str, name: str, *, overlapping: bool = False, **kwargs: Any) -> JobDefinition:
    """A canary job that never fires on its own (manual runs only); `overlapping`: up to 10 runs at once."""
    policy = RunPolicy(overlap="allow", max_concurrent=10) if overlapping else RunPolicy()
    return JobDefinition(
        job_id=job_id,
        name=name,
        job_kind="pipeline_canary",
        trigger="interval:3600",
        kwargs=QUICK | kwargs,
        enabled=False,
        policy=policy,
    )


def waiting_for(
    upstream: JobDefinition,
    job_id: str,
    name: str,
    *,
    trigger: str = "interval:2",
    wait_timeout_s: int = 600,
    max_concurrent: int = 1,
    **kwargs: Any,
) -> JobDefinition:
    """A canary job whose fires wait for a success of `upstream` the same day, `wait_timeout_s` at most."""
    return JobDefinition(
        job_id=job_id,
        name=name,
        job_kind="pipeline_canary",
        trigger=trigger,
        kwargs=QUICK | kwargs,
        policy=RunPolicy(
            after=(upstream.job_id,),
            wait_timeout_s=wait_timeout_s,
            window="day",
            max_concurrent=max_concurrent,
        ),
    )
