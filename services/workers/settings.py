"""Settings of a worker process."""

from __future__ import annotations

from pydantic import Field

from infrastructure.settings import CommonSettings


class WorkerSettings(CommonSettings):
    worker_capacity: int = Field(default=4, ge=1, le=64, description="runs one worker process runs at once")
