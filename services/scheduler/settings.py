"""Settings of the scheduler service."""

from __future__ import annotations

from pydantic import Field

from infrastructure.settings import CommonSettings


class SchedulerSettings(CommonSettings):
    heartbeat_interval_s: float = Field(
        default=5.0, gt=0, description="how often the scheduler says it lives"
    )
    canary_trigger: str = "interval:300"
