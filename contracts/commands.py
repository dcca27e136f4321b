"""Commands: what the API asks the scheduler service to do. The scheduler is their single handler."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from contracts.envelope import Command
from contracts.json_bounds import BoundedKwargs

DISPLAY_NAME_MAX = 50
DESCRIPTION_MAX = 200


class PauseJob(Command):
    """Stop firing a job on its schedule. Emitted by the API; the scheduler answers `JobPaused`."""

    type: Literal["PauseJob"] = "PauseJob"
    job_id: str = Field(min_length=1, max_length=200)


class ResumeJob(Command):
    """Fire a paused job on its schedule again. The scheduler answers `JobResumed`."""

    type: Literal["ResumeJob"] = "ResumeJob"
    job_id: str = Field(min_length=1, max_length=200)


class TriggerJob(Command):
    """Run a job once now, with its own kwargs and `force` (they never change the job).

    The API chooses `execution_id` so it can answer the client at once; the scheduler answers `RunQueued`
    and sends a `RunJob` to the workers. A paused job stays paused.
    """

    type: Literal["TriggerJob"] = "TriggerJob"
    job_id: str = Field(min_length=1, max_length=200)
    execution_id: str = Field(min_length=1, max_length=100)
    kwargs: BoundedKwargs = Field(default_factory=dict)
    force: bool = False
    run_at: AwareDatetime | None = Field(
        default=None,
        description="a one-off run at this moment instead of now: the scheduler answers `RunScheduled`, "
        "then `RunQueued` when the moment comes",
    )


class CancelExecution(Command):
    """Stop a running execution. The scheduler answers `CancelRequested`, which reaches its worker."""

    type: Literal["CancelExecution"] = "CancelExecution"
    execution_id: str = Field(min_length=1, max_length=100)


class MarkExecutionFailed(Command):
    """Declare an execution failed by hand (e.g. one left running by a lost worker)."""

    type: Literal["MarkExecutionFailed"] = "MarkExecutionFailed"
    execution_id: str = Field(min_length=1, max_length=100)
    reason: str = Field(default="用户手动标记为失败", min_length=1, max_length=500)


class DeleteExecution(Command):
    """Remove an execution from the read models (never from the event store)."""

    type: Literal["DeleteExecution"] = "DeleteExecution"
    execution_id: str = Field(min_length=1, max_length=100)


class UpdateJobMetadata(Command):
    """Change a job's display name and/or description; `None` leaves a field as it is."""

    type: Literal["UpdateJobMetadata"] = "UpdateJobMetadata"
    job_id: str = Field(min_length=1, max_length=200)
    display_name: str | None = Field(default=None, max_length=DISPLAY_NAME_MAX)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX)


COMMAND_TYPES: tuple[type[Command], ...] = (
    PauseJob,
    ResumeJob,
    TriggerJob,
    CancelExecution,
    MarkExecutionFailed,
    DeleteExecution,
    UpdateJobMetadata,
)
