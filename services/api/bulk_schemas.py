"""Wire shapes of bulk actions on executions: the request (a selection and an action) and the progress."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from typing import Literal

from pydantic import BaseModel
from pydantic import BeforeValidator
from pydantic import ConfigDict
from pydantic import Field
from pydantic import model_validator

from infrastructure.store.port import TimeField
from services.api.schemas import NO_CONTROL_CHARACTERS
from services.api.schemas import when
from services.api.time_bounds import QueryDateTime


def _text_only(value: object) -> object:
    """Body datetimes are ISO 8601 text, as documented: a JSON number is not read as a Unix time."""
    if not isinstance(value, str | datetime):
        raise ValueError("expected an ISO 8601 datetime text, e.g. 2025-01-06T09:30:00+08:00")
    return value


BodyDateTime = Annotated[QueryDateTime, BeforeValidator(_text_only)]

BulkAction = Literal["delete", "mark_failed"]
BulkState = Literal["running", "done", "failed"]
StatusValue = Literal["queued", "running", "success", "partial", "failed", "missed", "cancelled", "skipped"]
OPERATION_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
MAX_EXPLICIT_IDS = 1000  # the JSON body's per-array limit (contracts.json_bounds.INPUT_LIMITS)

OperationId = Annotated[
    str,
    Field(
        pattern=OPERATION_ID_PATTERN,
        description="the bulk operation's id (letters, digits, - and _; at most 64)",
        examples=["b3c1f6e2a9d04c7e8f1a2b3c4d5e6f70"],
    ),
]


class BulkFilter(BaseModel):
    """The same filters as `GET /executions`; every one optional, all combined."""

    model_config = ConfigDict(extra="forbid")

    job_id: str | None = Field(default=None, min_length=1, max_length=200)
    status: StatusValue | None = None
    is_manual: bool | None = None
    since: BodyDateTime | None = Field(default=None, description="at or after (on `time_field`)")
    until: BodyDateTime | None = Field(default=None, description="before (on `time_field`)")
    time_field: TimeField = "scheduled"


class BulkRequest(BaseModel):
    """Runs chosen by id or as "every run matching the filter", and what to do with each."""

    model_config = ConfigDict(extra="forbid")

    action: BulkAction = Field(description="`delete` (finished runs) or `mark_failed` (queued or running)")
    execution_ids: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        default=None, max_length=MAX_EXPLICIT_IDS, description="these runs (at most 1,000)"
    )
    filter: BulkFilter | None = Field(
        default=None, description="every run matching these filters (at most 10,000 runs)"
    )
    reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        pattern=NO_CONTROL_CHARACTERS,
        description="mark_failed: the error message each run gets",
    )
    operation_id: OperationId | None = Field(
        default=None,
        description="re-send an operation under its id to carry it on (each run's command id is derived "
        "from it, so nothing is done twice); new operations leave it out",
    )

    @model_validator(mode="after")
    def _one_selection(self) -> BulkRequest:
        if (self.execution_ids is None) == (self.filter is None):
            raise ValueError("give either execution_ids or filter (exactly one)")
        if self.execution_ids is not None and not self.execution_ids:
            raise ValueError("execution_ids is empty: select at least one run")
        return self


class RetentionRequest(BaseModel):
    """Delete the finished runs of one job due before a moment."""

    model_config = ConfigDict(extra="forbid")

    before: BodyDateTime = Field(
        description="runs due before this moment (one without an offset: the display timezone)"
    )
    operation_id: OperationId | None = None


class BulkProgress(BaseModel):
    """Where a bulk operation stands."""

    operation_id: str
    action: BulkAction
    state: BulkState = Field(description="running, done, or failed (re-send it with its id to carry on)")
    selected: int = Field(description="runs the selection named or matched")
    skipped: int = Field(
        description="runs left alone: delete skips queued or running ones, mark_failed ended ones"
    )
    missing: int = Field(description="ids that name no run (already deleted, or never existed)")
    sent: int = Field(description="per-run commands published so far")
    to_send: int = Field(description="per-run commands this operation publishes in all")
    error: str | None = Field(default=None, description="why the operation stopped (state failed)")
    started_at: str = when("when the operation started")
    finished_at: str | None = when("when it ended (null while running)")
