"""Read-model records: what the projector writes and the API reads.

Field names follow the REST contract (`../shared/spec/api.md`); fields prefixed by nothing special but not
in the contract (`attempt`, `last_sequence`, `started_at`, ...) are bookkeeping the projections need.
All datetimes are aware and UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import TypeVar

from pydantic import AwareDatetime
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from contracts.events import RegisteredJob
from domain.triggers.dst import Repeated
from domain.triggers.dst import Skipped


class Record(BaseModel):
    """Base of every read-model record: frozen, and unknown fields are refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


AnyRecord = TypeVar("AnyRecord", bound=Record)
_set_attribute = object.__setattr__


def updated(record: AnyRecord, update: Mapping[str, Any]) -> AnyRecord:
    """A shallow copy of `record` with these fields replaced, not validated.

    `record.model_copy(update=update)`: a shallow copy with these fields replaced, not validated; the
    same object, made without `model_copy`'s general machinery (extra and private attributes, which records
    do not have: `extra="forbid"`, no private fields). The projections copy a record two or three times per
    event: with `model_copy` that was the largest single cost of a replay.
    """
    cls = type(record)
    copied = cls.__new__(cls)
    _set_attribute(copied, "__dict__", {**record.__dict__, **update})
    _set_attribute(copied, "__pydantic_extra__", None)
    _set_attribute(copied, "__pydantic_fields_set__", record.model_fields_set | update.keys())
    _set_attribute(copied, "__pydantic_private__", None)
    return copied


class JobKeyedRecord(Record):
    """Base of the records kept one per job, keyed by its id."""

    job_id: str


class JobRecord(RegisteredJob, JobKeyedRecord):
    """`scheduler_jobs`: one per job of the catalogue, kept current by the scheduler's events."""

    # After `job_id`: the registration's fields (`RegisteredJob`, as `JobRegistered` carries them), but
    # `next_run_time` is None while the job is paused (`scheduled_next_run_time` keeps the clock's).
    registered_at: AwareDatetime
    updated_at: AwareDatetime
    # Last-writer-wins bookkeeping (`domain.catalogue_projection`): the version ("<UTC key>|<message_id>")
    # of the latest event that set each group of fields, so a late event cannot undo a newer one.
    registration_version: str = ""
    pause_version: str = ""
    schedule_version: str = ""
    scheduled_next_run_time: AwareDatetime | None = None  # next_run_time is this unless paused
    # Jobs as data (`JobCreated`, `JobChanged`, `JobDeleted`): the definition's version (0: a catalogue job
    # never edited), its editable fields as the last of those events left them (None: never edited), where
    # it came from, the incarnation of a created job, who created it and when, and whether it is deleted.
    job_version: int = 0
    definition: dict[str, Any] | None = None
    origin: str = "catalogue"
    incarnation: str | None = None
    last_command_id: str | None = None
    created_by: str | None = None
    created_at: AwareDatetime | None = None
    deleted: bool = False
    dst_repeated: Repeated = "first"  # the job's daylight-saving-time policy, as the scheduler registered it
    dst_skipped: Skipped = "shift"


class MetadataRecord(JobKeyedRecord):
    """`scheduler_metadata`: operator-editable display name and description of a job."""

    display_name: str | None = None
    description: str | None = None
    updated_at: AwareDatetime
    display_name_version: str = ""  # last-writer-wins bookkeeping, as in JobRecord
    description_version: str = ""


class ExecutionRecord(Record):
    """`scheduler_executions`: one per execution (scheduled fire or manual trigger)."""

    execution_id: str
    job_id: str
    job_name: str
    status: str
    scheduled_time: AwareDatetime | None = None
    timestamp: AwareDatetime
    started_at: AwareDatetime | None = None
    finished_at: AwareDatetime | None = None
    execution_time: float | None = None
    return_value: Any = None
    error_message: str | None = None
    traceback: str | None = None
    progress: float | None = None
    reported_progress: float | None = None
    reported_message: str | None = (
        None  # the latest report's message (progress_message may be a retry notice)
    )
    progress_message: str | None = None
    current_item: str | None = None
    total_items: int | None = None
    processed_items: int | None = None
    updated_at: AwareDatetime
    is_manual: bool = False
    kwargs: dict[str, Any] = Field(default_factory=dict)
    force: bool = False
    actor: str | None = None
    cancel_requested: bool = False
    cancel_requested_by: str | None = None
    cancel_requested_at: AwareDatetime | None = None
    worker_id: str | None = None
    attempt: int = 1
    retry_at: AwareDatetime | None = None
    last_sequence: int = 0
    last_progress_sequence: int = 0
    # A one-off run (`RunScheduled`): the moment asked for; `released` once its `RunQueued` is seen. Listed
    # `scheduled` until released (any order of the two events gives the same record).
    run_at: AwareDatetime | None = None
    released: bool = False
    # A time trigger's fire waiting for its upstream jobs (`RunWaiting`): what it waits for and until when.
    # Listed `waiting` until released (its `RunQueued`) or skipped; kept afterwards as what it waited for.
    waiting_for: list[str] | None = None
    wait_until: AwareDatetime | None = None


class ExecutionTombstone(Record):
    """`scheduler_execution_tombstones`: an execution an operator deleted.

    It is gone from `scheduler_executions`; the tombstone keeps a late or redelivered event from bringing it
    back.
    """

    execution_id: str
    job_id: str
    deleted_at: AwareDatetime
    actor: str | None = None


class HistoryRecord(Record):
    """`scheduler_history`: the audit log of operator actions (and the scheduler's answer to them)."""

    history_id: str
    job_id: str | None
    execution_id: str | None = None
    action: str
    status: str
    error_message: str | None = None
    timestamp: AwareDatetime
    actor: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class SchedulerStateRecord(Record):
    """The scheduler service's last heartbeat, as projected (one record per scheduler instance)."""

    scheduler_id: str
    state: int
    total_jobs: int
    paused_jobs: int
    interval_s: float
    last_heartbeat: AwareDatetime
    active: bool = True


class ProjectorStateRecord(Record):
    """How a projector process is doing (`scheduler_projector_state`).

    `scheduler_projector_state`: how a projector process is doing, written by it every few seconds while
    it is (or was last) the active one. `lag_s` is how far behind the event log the read models are: the
    age of the oldest event received and not yet applied, 0 when caught up.
    """

    projector_id: str
    started_at: AwareDatetime
    updated_at: AwareDatetime
    interval_s: float
    lag_s: float = 0.0
    last_batch_lag_s: float = 0.0
    max_lag_s: float = 0.0
    last_occurred_at: AwareDatetime | None = None
    last_applied_at: AwareDatetime | None = None
    applied: int = 0
    stored: int = 0
    duplicates: int = 0
    not_stored: int = 0
    dead_lettered: int = 0
    batches: int = 0
    store_retries: int = 0


class RunCounts(BaseModel):
    """A job's runs counted by status: the stored aggregate's and the API's (`JobExecutionStats`)."""

    total: int
    success: int
    failed: int
    missed: int
    cancelled: int = 0
    skipped: int = 0
    running: int = 0
    partial: int = 0


class ExecutionStats(Record, RunCounts):
    """Per-job aggregate over `scheduler_executions` (one aggregation)."""

    avg_execution_time: float
    last_execution: dict[str, Any] | None = None


def as_utc_key(moment: datetime) -> str:
    """Sortable text key of an aware datetime (fixed width, UTC), for stores that sort strings."""
    utc = moment.astimezone(UTC)
    if utc.year >= 1000:  # isoformat: the same text as the format below, twice as fast
        return utc.isoformat(timespec="microseconds")[:26] + "Z"
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # %Y is not padded to 4 digits here (glibc)


class BackfillRecord(Record):
    """One backfill's record (`scheduler_backfills`).

    `scheduler_backfills`: one per backfill, from its `BackfillRequested`, the events of its runs and
    its `BackfillFinished`. `runs` maps each day that has a run to its status (a day absent has not
    started); the counts of the finish are the scheduler's.
    """

    backfill_id: str
    job_id: str
    start_date: str
    end_date: str
    days: list[str]
    max_parallel: int
    kwargs: dict[str, Any] = Field(default_factory=dict)
    actor: str
    requested_at: AwareDatetime
    status: str = "running"  # running, cancelling, finished, cancelled
    runs: dict[str, str] = Field(default_factory=dict)
    finished_at: AwareDatetime | None = None
    counts: dict[str, int] | None = None  # done, failed, cancelled (once finished)
    command_id: str | None = None
