"""The run request: what the scheduler sends to the workers' queue."""

from __future__ import annotations

from typing import ClassVar
from typing import Literal

from pydantic import AwareDatetime
from pydantic import Field

from contracts.envelope import ExecutionIdStr
from contracts.envelope import JobIdStr
from contracts.envelope import Message
from contracts.json_bounds import BoundedKwargs


class RunJob(Message):
    """Run one attempt of one execution. Emitted by the scheduler, consumed by exactly one worker.

    `kind` names the worker job kind (the function) to run; `kwargs` are this run's arguments (the job's
    defaults merged with a manual trigger's own). `force` is the manual trigger's switch (e.g. skip the
    trading-time check); it applies to this run only.
    """

    kind: ClassVar[str] = "run"

    type: Literal["RunJob"] = "RunJob"
    execution_id: ExecutionIdStr
    job_id: JobIdStr
    job_name: str = Field(min_length=1, max_length=200)
    job_kind: str = Field(min_length=1, max_length=200)
    kwargs: BoundedKwargs = Field(default_factory=dict)
    scheduled_time: AwareDatetime
    is_manual: bool = False
    force: bool = False
    attempt: int = Field(default=1, ge=1)
    max_attempts: int = Field(default=1, ge=1)
    retry_backoff_s: float = Field(default=30.0, ge=0)
    retry_backoff_max_s: float = Field(default=600.0, ge=0)
    timeout_s: float | None = Field(default=None, gt=0)
    pool: str = Field(default="default", pattern=r"^[a-z0-9_-]{1,50}$")
