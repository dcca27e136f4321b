"""Commands: what the API asks the scheduler service to do. The scheduler is their single handler."""

from __future__ import annotations

from typing import Annotated
from typing import Any
from typing import Literal

from pydantic import AwareDatetime
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import SerializerFunctionWrapHandler
from pydantic import model_serializer

from contracts.envelope import Command
from contracts.envelope import ExecutionCommand
from contracts.envelope import ExecutionIdStr
from contracts.envelope import JobCommand
from contracts.json_bounds import BoundedKwargs

DISPLAY_NAME_MAX = 50
DESCRIPTION_MAX = 200


class PauseJob(JobCommand):
    """Stop firing a job on its schedule. Emitted by the API; the scheduler answers `JobPaused`."""

    type: Literal["PauseJob"] = "PauseJob"


class ResumeJob(JobCommand):
    """Fire a paused job on its schedule again. The scheduler answers `JobResumed`."""

    type: Literal["ResumeJob"] = "ResumeJob"


class TriggerJob(JobCommand):
    """Run a job once now, with its own kwargs and `force` (they never change the job).

    The API chooses `execution_id` so it can answer the client at once; the scheduler answers `RunQueued`
    and sends a `RunJob` to the workers. A paused job stays paused.
    """

    type: Literal["TriggerJob"] = "TriggerJob"
    execution_id: ExecutionIdStr
    kwargs: BoundedKwargs = Field(default_factory=dict)
    force: bool = False
    run_at: AwareDatetime | None = Field(
        default=None,
        description="a one-off run at this moment instead of now: the scheduler answers `RunScheduled`, "
        "then `RunQueued` when the moment comes",
    )


class CancelExecution(ExecutionCommand):
    """Stop a running execution. The scheduler answers `CancelRequested`, which reaches its worker."""

    type: Literal["CancelExecution"] = "CancelExecution"


class MarkExecutionFailed(ExecutionCommand):
    """Declare an execution failed by hand (e.g. one left running by a lost worker)."""

    type: Literal["MarkExecutionFailed"] = "MarkExecutionFailed"
    reason: str = Field(default="用户手动标记为失败", min_length=1, max_length=500)


class DeleteExecution(ExecutionCommand):
    """Remove an execution from the read models (never from the event store)."""

    type: Literal["DeleteExecution"] = "DeleteExecution"


class UpdateJobMetadata(JobCommand):
    """Change a job's display name and/or description; `None` leaves a field as it is."""

    type: Literal["UpdateJobMetadata"] = "UpdateJobMetadata"
    display_name: str | None = Field(default=None, max_length=DISPLAY_NAME_MAX)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX)


JOB_ID_PATTERN = r"^[a-z][a-z0-9_]{2,63}$"
TRIGGER_MAX = 200
POOL_PATTERN = r"^[a-z][a-z0-9_-]{0,39}$"
UPSTREAM_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$"
DEPENDENCY_POLICY_FIELDS = ("accept_partial", "window", "window_s", "after", "wait_timeout_s")
LATER_POLICY_FIELDS = (*DEPENDENCY_POLICY_FIELDS, "calendar")
"""Policy fields added after v1: written only when set, so older documents keep their shape."""


class JobPolicy(BaseModel):
    """A job's run policy as an operator sets it.

    A field left out (None) keeps the default (on create) or the current value (on change).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    overlap: Literal["skip", "allow"] | None = None
    max_concurrent: int | None = Field(default=None, ge=1, le=1000)
    misfire_grace_time: int | None = Field(default=None, ge=1, le=7 * 86_400)
    catch_up: Literal["skip", "latest"] | None = None
    max_attempts: int | None = Field(default=None, ge=1, le=100)
    retry_backoff_s: float | None = Field(default=None, ge=0, le=86_400)
    timeout_s: float | None = Field(default=None, gt=0, le=7 * 86_400)
    pool: str | None = Field(default=None, pattern=POOL_PATTERN)
    # dependencies (README "Job dependencies"): a `partial` upstream end counts only with `accept_partial`;
    # an upstream success counts on the calendar day of the downstream's fire (`window: day`, the default
    # of a new `after` configuration) or within `window_s` seconds (`window: rolling`). `after`: a time
    # trigger's fire waits for these jobs (status `waiting`) up to `wait_timeout_s` (`[]`: waits for none).
    accept_partial: bool | None = None
    window: Literal["day", "rolling"] | None = None
    window_s: float | None = Field(default=None, ge=60, le=7 * 86_400)
    after: list[Annotated[str, Field(pattern=UPSTREAM_PATTERN)]] | None = Field(default=None, max_length=20)
    wait_timeout_s: float | None = Field(default=None, ge=60, le=86_400)
    calendar: Literal["cn_a_share", "none"] | None = Field(
        default=None, description='fire on this exchange calendar\'s trading days only; "none" removes it'
    )

    @model_serializer(mode="wrap")
    def _later_fields_when_set(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """The policy's document, without the later fields that are unset.

        The fields added after v1 (dependencies, calendar) appear only when set: the documents of the jobs
        without them keep the shape they had before the fields existed.
        """
        document: dict[str, Any] = handler(self)
        for name in LATER_POLICY_FIELDS:
            if document.get(name) is None:
                document.pop(name, None)
        return document


class CreateJob(Command):
    """Create a job of a kind at run time (admin).

    The scheduler validates it again and answers `JobCreated`, or `CommandRejected` with the reason; the same
    command delivered twice makes one job.
    """

    type: Literal["CreateJob"] = "CreateJob"
    job_id: str = Field(pattern=JOB_ID_PATTERN)
    job_kind: str = Field(min_length=1, max_length=100)
    trigger: str = Field(min_length=1, max_length=TRIGGER_MAX)
    kwargs: BoundedKwargs = Field(default_factory=dict)
    display_name: str | None = Field(default=None, max_length=DISPLAY_NAME_MAX)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX)
    paused: bool = False
    policy: JobPolicy = Field(default_factory=JobPolicy)


class ChangeJob(JobCommand):
    """Change a job's definition.

    None leaves a field as it is; `expected_version` is the job's version the operator saw: a job changed
    since is not changed again (the scheduler answers `CommandRejected`). The scheduler answers `JobChanged`
    (and `JobPaused`/`JobResumed` when `paused` changes).
    """

    type: Literal["ChangeJob"] = "ChangeJob"
    expected_version: int | None = Field(default=None, ge=0)
    trigger: str | None = Field(default=None, min_length=1, max_length=TRIGGER_MAX)
    kwargs: BoundedKwargs | None = None
    display_name: str | None = Field(default=None, max_length=DISPLAY_NAME_MAX)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX)
    paused: bool | None = None
    policy: JobPolicy | None = None


class DeleteJob(JobCommand):
    """Delete a job created at run time (its executions and history stay).

    With runs in flight it is refused unless `cancel_running`. The scheduler answers `JobDeleted`.
    """

    type: Literal["DeleteJob"] = "DeleteJob"
    cancel_running: bool = False


class ResetJob(JobCommand):
    """Restore a catalogue job's definition from the catalogue and settings. Answered with `JobChanged`."""

    type: Literal["ResetJob"] = "ResetJob"
    expected_version: int | None = Field(default=None, ge=0)


BACKFILL_ID_PATTERN = r"^bf[0-9a-f]{32}$"
ISO_DAY_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
BACKFILL_DAYS_MAX = 2_600
"""Trading days of ten years (about 243 a year), with room: a longer list is refused at the door."""
BACKFILL_PARALLEL_MAX = 64


class RequestBackfill(JobCommand):
    """Run a job once per trading day of a past range (admin).

    `days` are the range's trading days, oldest first, each run given its day in its kwargs. The API chooses
    `backfill_id`; the scheduler answers `BackfillRequested` (or `CommandRejected`), then runs the days at
    most `max_parallel` at once.
    """

    type: Literal["RequestBackfill"] = "RequestBackfill"
    backfill_id: str = Field(pattern=BACKFILL_ID_PATTERN)
    start_date: str = Field(pattern=ISO_DAY_PATTERN)
    end_date: str = Field(pattern=ISO_DAY_PATTERN)
    days: tuple[Annotated[str, Field(pattern=ISO_DAY_PATTERN)], ...] = Field(
        min_length=1, max_length=BACKFILL_DAYS_MAX
    )
    max_parallel: int = Field(default=1, ge=1, le=BACKFILL_PARALLEL_MAX)
    kwargs: BoundedKwargs = Field(default_factory=dict)


class CancelBackfill(JobCommand):
    """Stop a backfill: its days not started never start, its runs in flight are cancelled.

    The scheduler answers `BackfillCancelled`, then `BackfillFinished` once every run has ended.
    """

    type: Literal["CancelBackfill"] = "CancelBackfill"
    backfill_id: str = Field(pattern=BACKFILL_ID_PATTERN)


COMMAND_TYPES: tuple[type[Command], ...] = (
    PauseJob,
    ResumeJob,
    TriggerJob,
    CancelExecution,
    MarkExecutionFailed,
    DeleteExecution,
    UpdateJobMetadata,
    CreateJob,
    ChangeJob,
    DeleteJob,
    ResetJob,
    RequestBackfill,
    CancelBackfill,
)
