"""Response and request models: the wire contract of `../shared/spec/api.md` and the OpenAPI document.

Datetimes are rendered before they get here (ISO 8601 with the display timezone's offset), so every
datetime field is a string with `format: date-time`.
"""

from __future__ import annotations

from typing import Any
from typing import Generic
from typing import Literal
from typing import TypeVar

from pydantic import AwareDatetime
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from contracts.commands import DESCRIPTION_MAX
from contracts.commands import DISPLAY_NAME_MAX
from domain.records import RunCounts

T = TypeVar("T")
# Strings from outside hold no control character but tab, line feed and carriage return.
NO_CONTROL_CHARACTERS = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$"
DATE_TIME: dict[str, Any] = {"format": "date-time", "examples": ["2025-01-06T09:30:00+08:00"]}


def when(description: str) -> Any:
    """A datetime field (string, ISO 8601 with offset)."""
    return Field(description=description, json_schema_extra=DATE_TIME)


def _is_none(value: Any) -> bool:
    return value is None


def optional(description: str | None = None, **field: Any) -> Any:
    """A field that may have no value, left out of the answer then.

    The key is then left out of the answer (never `null`), as the original server did; not required in the
    OpenAPI schema.
    """
    return Field(default=None, description=description, exclude_if=_is_none, **field)


def optional_when(description: str) -> Any:
    """An optional datetime field (string, ISO 8601 with offset), left out when it has no value."""
    return optional(description, json_schema_extra=DATE_TIME)


class Envelope(BaseModel, Generic[T]):
    """Every successful answer under `/api/scheduler`."""

    success: bool = True
    data: T
    message: str = Field(examples=["获取到 17 个定时任务"])
    timestamp: str = when("when the answer was made")


class ErrorResponse(BaseModel):
    """An error answer: what went wrong, in the caller's language."""

    detail: str = Field(examples=["任务 news_sync 不存在"])


class ValidationErrorItem(BaseModel):
    """One invalid input: where it is, what is wrong, and the error's type."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorResponse(BaseModel):
    """An invalid request (422): a summary and each invalid input."""

    detail: str = Field(examples=["查询参数 limit: Input should be less than or equal to 100"])
    errors: list[ValidationErrorItem] = Field(default_factory=list)


class Job(BaseModel):
    """A job as the jobs list shows it: its trigger, next fire time and whether paused."""

    id: str = Field(examples=["tushare_quotes_sync"])
    name: str = Field(examples=["实时行情同步（Tushare）"])
    next_run_time: str | None = optional_when("next scheduled fire; absent when paused")
    paused: bool
    trigger: str = Field(examples=["cron[minute='*/5', hour='9-15', day_of_week='1-5']"])
    display_name: str | None = optional()
    description: str | None = optional()
    paused_reason: str | None = optional("why a job is paused, when not by hand")


class JobDetail(Job):
    """A job with its kind, kwargs, policy and metadata."""

    model_config = ConfigDict(extra="forbid")

    func: str = Field(description="the worker job kind that runs", examples=["tushare.quotes"])
    args: list[Any] = Field(default_factory=list)
    kwargs: dict[str, Any] = Field(default_factory=dict)
    misfire_grace_time: int | None = optional()
    max_instances: int = 1
    coalesce: bool = True


class MetadataUpdate(BaseModel):
    """Unknown fields are refused (a misspelt field must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"display_name": "行情同步"}]})

    display_name: str | None = Field(default=None, max_length=DISPLAY_NAME_MAX, pattern=NO_CONTROL_CHARACTERS)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX, pattern=NO_CONTROL_CHARACTERS)


class TriggerRequest(BaseModel):
    """Unknown fields are refused (a misspelt `kwargs` must not start a run with the defaults)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"kwargs": {"symbols": ["600000"]}}]}
    )

    kwargs: dict[str, Any] | None = Field(
        default=None,
        description="this run's own arguments (the job's defaults are unchanged); which ones a job accepts "
        "(names, types, ranges) is its own: `GET /api/scheduler/jobs/{job_id}/parameters`",
    )
    run_at: AwareDatetime | None = Field(
        default=None,
        description="run once at this moment (ISO 8601 with its offset, in the future, at most a year "
        "ahead) instead of now: the run is listed `scheduled` until then",
        examples=["2027-01-04T09:30:00+08:00"],
    )


class JobParametersOut(BaseModel):
    """The kwargs a manual trigger of a job accepts: names and a JSON schema."""

    job_id: str
    job_kind: str
    accepted: list[str] = Field(description="the parameter names a trigger's kwargs may use")
    json_schema: dict[str, Any] = Field(
        serialization_alias="schema", description="JSON schema of the kwargs object (no other property)"
    )


class StatusInfo(BaseModel):
    """An execution status, its label, and the original status a simpler client shows."""

    status: str = Field(examples=["partial"])
    label: str = Field(examples=["部分完成"], description="in the caller's language")
    original: Literal["running", "success", "failed", "missed"] = Field(
        description="what a client that knows only the original four statuses should show"
    )
    final: bool = Field(description="whether a run in this status has ended")


class TriggerResult(BaseModel):
    """The execution a manual trigger created, and its moment if it is a one-off run."""

    execution_id: str = Field(examples=["3f2c9a7e0d4b4c1e9b8a6f5d4c3b2a10"])
    scheduled_time: str | None = Field(
        default=None, description="a one-off run's moment (with `run_at`), in the server's zone"
    )


class JobHistory(BaseModel):
    """One operator action on a job (pause, trigger, ...), its outcome and who did it."""

    job_id: str | None = optional()
    action: str = Field(examples=["pause"])
    status: str = Field(examples=["success"])
    error_message: str | None = optional()
    timestamp: str = when("when the action was recorded")
    actor: str | None = optional()
    execution_id: str | None = optional()
    details: dict[str, Any] = Field(default_factory=dict)


class HistoryPage(BaseModel):
    """One page of operator actions, with the total matching."""

    history: list[JobHistory]
    total: int
    limit: int
    offset: int


class JobExecution(BaseModel):
    """One execution (a run of a job): status, times, attempts, result or error."""

    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True)

    id: str = Field(alias="_id", description="the execution id")
    execution_id: str
    job_id: str
    job_name: str
    status: str = Field(
        examples=["running"],
        description="scheduled|waiting|queued|running|success|partial|failed|missed|cancelled|skipped "
        "(`GET /api/scheduler/statuses`: labels and the original four each maps to)",
    )
    status_text: str = Field(examples=["运行中"], description="the status in the caller's language")
    scheduled_time: str | None = optional_when("when the run was due")
    execution_time: float | None = optional("seconds from the actual start (absent until it ended)")
    timestamp: str = when("when the execution was created")
    started_at: str | None = optional_when("actual start")
    finished_at: str | None = optional_when("end of the run")
    return_value: Any = optional("what the job returned (a partial run: what was done)")
    error_message: str | None = optional(
        "why it failed, was missed or skipped (a partial run: what was not done)"
    )
    traceback: str | None = optional()
    progress: float | None = optional("percent, one decimal", ge=0, le=100)
    progress_message: str | None = optional()
    current_item: str | None = optional()
    total_items: int | None = optional()
    processed_items: int | None = optional()
    updated_at: str | None = optional_when("last change")
    is_manual: bool
    cancel_requested: bool = False
    actor: str | None = optional()
    kwargs: dict[str, Any] = Field(default_factory=dict)
    force: bool = False
    attempt: int = 1
    retry_at: str | None = optional_when("when the next attempt starts, after a failed one")
    worker_id: str | None = optional()
    waiting_for: list[str] | None = optional(
        "the upstream jobs a fire waits for (`policy.after`; kept once it ran or was skipped)"
    )
    wait_until: str | None = optional_when("when a waiting fire gives up (`wait_timeout: <jobs>`)")


class ExecutionPage(BaseModel):
    """One page of executions, with the total matching."""

    items: list[JobExecution]
    total: int
    limit: int
    offset: int


class LastExecution(BaseModel):
    """A job's last execution: status, creation time and duration."""

    status: str
    timestamp: str | None = optional_when("when the last execution was created")
    execution_time: float | None = optional()


class JobExecutionStats(RunCounts):
    """A job's executions per status, mean duration of successes, and its last execution."""

    avg_execution_time: float = Field(description="mean seconds of successful runs, 2 decimals")
    last_execution: LastExecution | None = optional()


class SchedulerStats(BaseModel):
    """Job counts, executions in progress and the scheduler service's state."""

    total_jobs: int
    running_jobs: int = Field(description="jobs scheduled and not paused (the original meaning)")
    paused_jobs: int
    scheduler_running: bool
    scheduler_state: Literal[0, 1, 2] = Field(description="0 stopped, 1 running, 2 paused")
    executions_in_progress: int = Field(description="executions queued or running now")
    last_heartbeat: str | None = when("the scheduler service's last heartbeat")


class SchedulerHealth(BaseModel):
    """The scheduler service's health, the heartbeat it is read from, and why it is not healthy."""

    status: Literal["healthy", "degraded", "stopped"]
    running: bool
    state: Literal[0, 1, 2]
    timestamp: str = when("when health was assessed")
    last_heartbeat: str | None = when("the scheduler service's last heartbeat")
    bus_connected: bool
    projector_lag_s: float | None = None
    alert_channels_failing: list[str] = Field(
        default_factory=list, description="alert channel types whose latest message finally failed"
    )
    reasons: list[str] = Field(default_factory=list, description="why not healthy")
    warnings: list[str] = Field(
        default_factory=list,
        description="what needs attention without degrading the service (a trading calendar missing a year)",
    )


class EventOut(BaseModel):
    """One stored event: its envelope fields, then the type's own fields as they are."""

    model_config = ConfigDict(extra="allow")

    message_id: str
    type: str = Field(examples=["JobStarted"])
    version: int = 1
    occurred_at: str = when("when it happened")
    producer: str
    correlation_id: str
    causation_id: str | None = None
    job_id: str | None = None
    execution_id: str | None = None


class EventPage(BaseModel):
    """One page of the event log, with the total matching."""

    items: list[EventOut]
    total: int
    limit: int
    offset: int


class Liveness(BaseModel):
    """The process answers."""

    status: Literal["alive"] = "alive"


class Readiness(BaseModel):
    """Whether the store answers and the bus is connected."""

    status: Literal["ready", "not ready"]
    store: bool
    bus: bool


class OutcomeWindow(BaseModel):
    """Executions created in `[start, end)`, by status."""

    start: str = when("window start (inclusive)")
    end: str = when("window end (exclusive)")
    counts: dict[str, int] = Field(description="executions per status; statuses without any are left out")
    total: int


class OutcomeSeries(BaseModel):
    """Outcome counts per window (hours or days) over a span."""

    unit: Literal["hour", "day"]
    since: str = when("start of the first window")
    until: str = when("end of the last window (the current hour or day included)")
    windows: list[OutcomeWindow]


class JobDurationSummary(BaseModel):
    """Durations of one job's executions in the summary's window.

    Seconds taken by one job's executions created in the summary's duration window (those with a
    duration): nearest-rank percentiles, the longest and the mean.
    """

    job_id: str
    runs: int
    p50: float
    p90: float
    p95: float
    max: float
    mean: float


class ExecutionSummary(BaseModel):
    """What the console's overview shows, computed by the API over the windows it is labelled with."""

    hourly: OutcomeSeries = Field(description="the last 24 hours, one window per hour")
    daily: OutcomeSeries = Field(description="the last 14 days, one window per day (display timezone)")
    durations_since: str = when("start of the duration window (the daily series' start)")
    durations_until: str = when("end of the duration window")
    durations: list[JobDurationSummary]
    last_runs: list[JobExecution] = Field(description="the newest execution of every job that has one")
    queued: int = Field(description="executions queued now")
    running: int = Field(description="executions running now")
