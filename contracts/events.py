"""Events: facts emitted by the scheduler and the workers, stored once and projected into read models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from typing import Literal

from pydantic import AwareDatetime
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from contracts.alert_events import ALERT_EVENT_TYPES
from contracts.envelope import Event
from contracts.envelope import ExecutionEvent
from contracts.envelope import JobEvent

ExecutionStatus = Literal[
    "scheduled", "queued", "running", "success", "partial", "failed", "missed", "cancelled", "skipped",
    "waiting",
]  # fmt: skip
# `partial` was added to `JobFinished` without a new version: every older document still decodes to what it
# meant, and a consumer that does not know the value rejects the event with the reason (deploy consumers
# before producers, as for any new message).
FinalStatus = Literal["success", "partial", "failed", "cancelled"]
TERMINAL_STATUSES: frozenset[str] = frozenset(
    {"success", "partial", "failed", "missed", "cancelled", "skipped"}
)


class RegisteredJob(BaseModel):
    """A job as the scheduler registers it: its name, kind, trigger, defaults and whether it is paused.

    One declaration for `JobRegistered`, which carries it, and the jobs read model's record
    (`domain.records.JobRecord`), which keeps it. A class that mixes it in lists it first among its bases: its
    fields then stand after the bases' (the envelope, `job_id`) and before the class's own, as pydantic orders
    fields from the last base to the first.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    job_kind: str
    trigger: str
    kwargs: dict[str, Any] = Field(default_factory=dict)
    paused: bool
    paused_reason: str | None = None
    next_run_time: AwareDatetime | None = None
    misfire_grace_time: int | None = None
    max_instances: int = 1
    coalesce: bool = True


class JobRegistered(RegisteredJob, JobEvent):
    """The scheduler knows a job: its trigger, function, defaults and policies. Emitted at every start."""

    type: Literal["JobRegistered"] = "JobRegistered"
    # Jobs as data: the editable definition the job is registered with (trigger text as the operator wrote
    # it, kwargs, metadata, policy) and its version; absent in events from before jobs could be edited.
    definition: dict[str, Any] | None = None
    job_version: int = Field(default=0, ge=0)
    # The job's daylight-saving-time policy (`domain/triggers/dst.py`), so previews fire as the job does.
    dst_repeated: Literal["first", "every"] = "first"
    dst_skipped: Literal["shift", "skip"] = "shift"


class JobPaused(JobEvent):
    """An operator paused a job (or settings disabled a job never seen before)."""

    type: Literal["JobPaused"] = "JobPaused"
    actor: str


class JobResumed(JobEvent):
    """An operator resumed a job; it fires on schedule again from `next_run_time`."""

    type: Literal["JobResumed"] = "JobResumed"
    actor: str
    next_run_time: AwareDatetime | None = None


class JobScheduled(JobEvent):
    """A job's next fire time changed (after a fire, or after registration)."""

    type: Literal["JobScheduled"] = "JobScheduled"
    next_run_time: AwareDatetime | None = None


class JobMetadataUpdated(JobEvent):
    """An operator changed a job's display name or description (`None` leaves a field unchanged)."""

    type: Literal["JobMetadataUpdated"] = "JobMetadataUpdated"
    actor: str
    display_name: str | None = None
    description: str | None = None


class RunQueued(ExecutionEvent):
    """The scheduler decided to run a job (scheduled fire or manual trigger) and queued it for a worker."""

    type: Literal["RunQueued"] = "RunQueued"
    job_name: str
    scheduled_time: AwareDatetime
    is_manual: bool = False
    kwargs: dict[str, Any] = Field(default_factory=dict)
    force: bool = False
    actor: str | None = None


class RunScheduled(ExecutionEvent):
    """A one-off run scheduled for a future moment.

    An operator asked for a one-off run at `scheduled_time` (a future moment): it is listed `scheduled`
    until then. Emitted by the scheduler for a `TriggerJob` with `run_at`; the leader (this one, or the
    next after a failover, which reloads scheduled runs from the read model) answers `RunQueued` with the
    same execution id when the moment comes, or `QueuedRunCancelled` if it is cancelled before.
    """

    type: Literal["RunScheduled"] = "RunScheduled"
    job_name: str
    scheduled_time: AwareDatetime
    kwargs: dict[str, Any] = Field(default_factory=dict)
    force: bool = False
    actor: str | None = None


class RunWaiting(ExecutionEvent):
    """A time trigger's fire that waits for the job's upstream jobs.

    Listed `waiting` (with `waiting_for`, the upstream jobs of `policy.after`) until the leader answers
    `RunQueued` (same execution id) once the last of them succeeds, or `JobSkipped`
    (`upstream_failed: <job> <execution>` when one fails, `wait_timeout: <jobs>` at `wait_until`). A new
    leader reloads waiting runs from the read model.
    """

    type: Literal["RunWaiting"] = "RunWaiting"
    job_name: str
    scheduled_time: AwareDatetime
    waiting_for: list[str] = Field(min_length=1, max_length=20)
    wait_until: AwareDatetime
    kwargs: dict[str, Any] = Field(default_factory=dict)


class JobStarted(ExecutionEvent):
    """A worker started an attempt of an execution."""

    type: Literal["JobStarted"] = "JobStarted"
    job_name: str
    worker_id: str
    started_at: AwareDatetime
    scheduled_time: AwareDatetime
    is_manual: bool = False


class Progress(ExecutionEvent):
    """A running job reports how far it is; also serves as the run's heartbeat."""

    type: Literal["Progress"] = "Progress"
    progress: float = Field(ge=0, le=100)
    message: str | None = None
    current_item: str | None = None
    total_items: int | None = Field(default=None, ge=0)
    processed_items: int | None = Field(default=None, ge=0)


class JobFinished(ExecutionEvent):
    """An attempt ended, and how.

    An attempt ended: `success`, `partial` (the job did only part of its work: `return_value` is what
    was done, `error_message` what was not), `failed` (error and traceback) or `cancelled` (who asked).
    """

    type: Literal["JobFinished"] = "JobFinished"
    status: FinalStatus
    started_at: AwareDatetime
    finished_at: AwareDatetime
    return_value: Any = None
    error_message: str | None = None
    traceback: str | None = None
    cancelled_by: str | None = None


class AttemptFailed(ExecutionEvent):
    """An attempt failed and another will follow after `retry_in_s` (the execution is not over).

    Emitted by the worker when its run fails or times out, or by the scheduler when the worker was lost,
    while the job's retry policy allows another attempt; also by a worker shutting down that hands its
    unfinished run back (`handed_back`, retried at once whatever the policy).
    """

    type: Literal["AttemptFailed"] = "AttemptFailed"
    reason: Literal["error", "timeout", "worker_lost", "handed_back"]
    error_message: str
    traceback: str | None = None
    retry_in_s: float = Field(ge=0)


class JobMissed(ExecutionEvent):
    """A scheduled fire came later than the job's grace time and was not run."""

    type: Literal["JobMissed"] = "JobMissed"
    job_name: str
    scheduled_time: AwareDatetime
    reason: str


class JobSkipped(ExecutionEvent):
    """A fire was not run because of the job's overlap policy (or another stated reason)."""

    type: Literal["JobSkipped"] = "JobSkipped"
    job_name: str
    scheduled_time: AwareDatetime
    is_manual: bool = False
    reason: str


class CancelRequested(ExecutionEvent):
    """An operator asked to cancel a running execution; the worker running it stops at its next check."""

    type: Literal["CancelRequested"] = "CancelRequested"
    actor: str


class QueuedRunCancelled(ExecutionEvent):
    """An operator cancelled a run that no worker had started: it ends `cancelled` at once and never starts.

    Emitted by the scheduler after it claimed the run's next attempt in the workers' claim store, so a
    worker that receives the run request later (or again, on a redelivery) finds it claimed and drops it.
    """

    type: Literal["QueuedRunCancelled"] = "QueuedRunCancelled"
    actor: str


class ExecutionMarkedFailed(ExecutionEvent):
    """An execution was declared failed.

    By an operator (`actor`, from `MarkExecutionFailed`), or by the scheduler itself when the run's worker was
    lost and no retry is left (`actor` None). Emitted by the scheduler; the projector ends the execution with
    it (if it came first) and records operators' ones in the history.

    Version 2. Version 1 gave the scheduler's own failures the actor "scheduler", a name an operator's
    account may have too, so the audit trail could not tell them apart; `upcast_execution_marked_failed_v1`
    reads that as None.
    """

    type: Literal["ExecutionMarkedFailed"] = "ExecutionMarkedFailed"
    version: int = 2
    actor: str | None
    reason: str


# The actor version 1 gave the scheduler's own failures (see `ExecutionMarkedFailed`).
V1_SCHEDULER_ACTOR = "scheduler"


def upcast_execution_marked_failed_v1(document: dict[str, Any]) -> dict[str, Any]:
    """ExecutionMarkedFailed v1 -> v2: the actor "scheduler" meant the scheduler itself, not an operator."""
    actor = document.get("actor")
    return {**document, "actor": None if actor == V1_SCHEDULER_ACTOR else actor}


RUN_ENDED_AS: dict[type[ExecutionEvent], str] = {
    ExecutionMarkedFailed: "failed",
    QueuedRunCancelled: "cancelled",
    JobMissed: "missed",
    JobSkipped: "skipped",
}
"""The final status of a run that these events end (a worker's `JobFinished` carries its own status)."""


class ExecutionDeleted(ExecutionEvent):
    """An operator removed an execution from the read models; the event store keeps its events."""

    type: Literal["ExecutionDeleted"] = "ExecutionDeleted"
    actor: str


class FiresDropped(JobEvent):
    """Scheduled instants of one job that no record stands for.

    The oldest of a downtime longer than the job's catch-up cap (`max_catch_up_records`). One event counts
    them all; the newer instants have their own records.
    """

    type: Literal["FiresDropped"] = "FiresDropped"
    count: int = Field(ge=1)
    first: AwareDatetime
    last: AwareDatetime
    reason: str


class CommandRejected(Event):
    """The scheduler refused a command (unknown job, wrong state); recorded in the operator history."""

    type: Literal["CommandRejected"] = "CommandRejected"
    command_type: str
    command_id: str
    actor: str
    job_id: str | None = None
    execution_id: str | None = None
    reason: str


class SchedulerHeartbeat(Event):
    """The scheduler service is alive: its state (0 stopped, 1 running, 2 paused) and job counts."""

    type: Literal["SchedulerHeartbeat"] = "SchedulerHeartbeat"
    scheduler_id: str
    state: Literal[0, 1, 2]
    total_jobs: int = Field(ge=0)
    paused_jobs: int = Field(ge=0)
    interval_s: float = Field(gt=0)
    active: bool = True


class RunRef(BaseModel):
    """One run a worker is busy with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    execution_id: str
    job_id: str
    attempt: int = Field(ge=1)


class WorkerHeartbeat(Event):
    """A worker is alive and still running these runs; the scheduler fails runs whose heartbeats stop."""

    type: Literal["WorkerHeartbeat"] = "WorkerHeartbeat"
    worker_id: str
    capacity: int = Field(ge=1)
    runs: tuple[RunRef, ...] = ()
    interval_s: float = Field(gt=0)


class RetentionApplied(Event):
    """The scheduler's retention policy: read-model records older than these cut-offs are removed.

    The projector applies it (the read models have one writer); the event store keeps its own, longer limit.
    """

    type: Literal["RetentionApplied"] = "RetentionApplied"
    execution_cutoffs: dict[str, AwareDatetime]
    history_cutoff: AwareDatetime | None = None
    event_cutoff: AwareDatetime | None = None


class FieldChange(BaseModel):
    """One field of a job's definition before and after a change."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    old: Any = None
    new: Any = None


class JobCreated(JobEvent):
    """An operator created a job at run time.

    Answers `CreateJob`; emitted by the scheduler, which fires the job from then on. `job_version` is the
    job's definition version (1 for a new id; after a deletion, one more than the deleted job's). This event's
    `message_id` is the job's incarnation: the execution ids of its scheduled fires include it, so a
    re-created id never collides with the deleted job's executions.
    """

    type: Literal["JobCreated"] = "JobCreated"
    actor: str
    job_kind: str
    trigger: str
    kwargs: dict[str, Any] = Field(default_factory=dict)
    display_name: str | None = None
    description: str | None = None
    paused: bool = False
    policy: dict[str, Any] = Field(default_factory=dict)
    job_version: int = Field(default=1, ge=1)
    command_id: str | None = None


class JobChanged(JobEvent):
    """An operator changed or reset a job's definition.

    Answers `ChangeJob`, or `ResetJob` for a catalogue job (`reset`): the old and new value of each changed
    field; `job_version` is the new version. Emitted by the scheduler, which fires the job under its new
    definition from the next instant after now.
    """

    type: Literal["JobChanged"] = "JobChanged"
    actor: str
    job_version: int = Field(ge=1)
    changes: dict[str, FieldChange]
    reset: bool = False
    command_id: str | None = None


class JobDeleted(JobEvent):
    """An operator deleted a job created at run time (`DeleteJob`); it never fires again.

    Its executions and history stay in the read models. `cancelled`: the runs in flight the operator asked to
    cancel.
    """

    type: Literal["JobDeleted"] = "JobDeleted"
    actor: str
    job_version: int = Field(ge=1)
    cancelled: tuple[str, ...] = ()
    command_id: str | None = None


class BackfillRequested(JobEvent):
    """An operator asked for a backfill.

    Answers `RequestBackfill`: one run of the job per day of `days` (oldest first, at most `max_parallel` at
    once). Emitted by the scheduler, whose leader (this one, or the next after a failover) runs the days; each
    day's execution id is `backfill_execution_id(backfill_id, day)`.
    """

    type: Literal["BackfillRequested"] = "BackfillRequested"
    backfill_id: str
    start_date: str
    end_date: str
    days: tuple[str, ...]
    max_parallel: int = Field(ge=1)
    kwargs: dict[str, Any] = Field(default_factory=dict)
    actor: str
    command_id: str | None = None


class BackfillCancelled(JobEvent):
    """An operator cancelled a backfill.

    Answers `CancelBackfill`: its days not started never start, its runs in flight are asked to stop. Emitted
    by the scheduler; `BackfillFinished` follows once every run ended.
    """

    type: Literal["BackfillCancelled"] = "BackfillCancelled"
    backfill_id: str
    actor: str


class BackfillFinished(JobEvent):
    """Every day of a backfill has ended.

    A day that will never start (after a cancel) counts as ended. How many ended `done` (success, partial),
    `failed` (failed, missed, skipped) and `cancelled` (cancelled or never started). Emitted by the
    scheduler's leader.
    """

    type: Literal["BackfillFinished"] = "BackfillFinished"
    backfill_id: str
    done: int = Field(ge=0)
    failed: int = Field(ge=0)
    cancelled: int = Field(ge=0)
    was_cancelled: bool = False


BACKFILL_EVENTS = (BackfillRequested, BackfillCancelled, BackfillFinished)


def backfill_execution_id(backfill_id: str, day: str) -> str:
    """The execution id of a backfill's run of a day (deterministic: a redelivery or a failover finds it)."""
    return f"{backfill_id}-{day.replace('-', '')}"


def backfill_of(execution_id: str) -> tuple[str, str] | None:
    """(backfill id, day YYYY-MM-DD) of a backfill's execution id; None for any other execution."""
    if len(execution_id) != 43 or not execution_id.startswith("bf") or execution_id[34] != "-":
        return None
    digits = execution_id[35:]
    if not digits.isdigit():
        return None
    return execution_id[:34], f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"


# (type, old version) -> function taking a document of that version to the next one (see `contracts.codec`).
EVENT_UPCASTERS: dict[tuple[str, int], Callable[[dict[str, Any]], dict[str, Any]]] = {
    ("ExecutionMarkedFailed", 1): upcast_execution_marked_failed_v1,
}

EVENT_TYPES: tuple[type[Event], ...] = (
    JobRegistered,
    JobPaused,
    JobResumed,
    JobScheduled,
    JobMetadataUpdated,
    RunQueued,
    JobStarted,
    Progress,
    JobFinished,
    AttemptFailed,
    JobMissed,
    JobSkipped,
    CancelRequested,
    QueuedRunCancelled,
    ExecutionMarkedFailed,
    ExecutionDeleted,
    CommandRejected,
    FiresDropped,
    SchedulerHeartbeat,
    WorkerHeartbeat,
    RetentionApplied,
    JobCreated,
    JobChanged,
    JobDeleted,
    RunScheduled,
    RunWaiting,
    *BACKFILL_EVENTS,
    *ALERT_EVENT_TYPES,
)
