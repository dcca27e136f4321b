"""Request and answer models of jobs as data: kinds, create, change, the definition of a job."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from contracts.commands import DESCRIPTION_MAX
from contracts.commands import DISPLAY_NAME_MAX
from contracts.commands import JOB_ID_PATTERN
from contracts.commands import TRIGGER_MAX
from contracts.commands import JobPolicy
from contracts.json_bounds import BoundedKwargs
from services.api.schemas import NO_CONTROL_CHARACTERS


class KindOut(BaseModel):
    """A kind: code a worker can run, of which jobs are made."""

    kind: str = Field(examples=["akshare_historical_sync"])
    display_name: str
    source: str = Field(examples=["akshare"])
    description: str
    json_schema: dict[str, Any] = Field(
        serialization_alias="schema", description="JSON schema of the kwargs object (no other property)"
    )
    accepted: list[str] = Field(description="the parameter names a job's kwargs may use")
    default_trigger: str = Field(examples=["0 17 * * 1-5"])
    default_policy: dict[str, Any]
    default_kwargs: dict[str, Any] = Field(default_factory=dict)
    takes_date_range: bool = Field(description="whether a run can be given a day or a range of days")


class JobCreateRequest(BaseModel):
    """A new job of a kind. Unknown fields are refused."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"id": "news_hourly", "kind": "news_sync", "trigger": "0 * * * *", "kwargs": {"limit": 50}}
            ]
        },
    )

    id: str = Field(pattern=JOB_ID_PATTERN, max_length=64)
    kind: str = Field(min_length=1, max_length=100)
    trigger: str = Field(min_length=1, max_length=TRIGGER_MAX)
    kwargs: BoundedKwargs | None = None
    display_name: str | None = Field(default=None, max_length=DISPLAY_NAME_MAX, pattern=NO_CONTROL_CHARACTERS)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX, pattern=NO_CONTROL_CHARACTERS)
    paused: bool = False
    policy: JobPolicy | None = None


class JobChangeRequest(BaseModel):
    """The fields to change (any but `id` and `kind`); a field left out keeps its value."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"trigger": "0 */1 * * *"}, {"policy": {"max_attempts": 3}}]},
    )

    trigger: str | None = Field(default=None, min_length=1, max_length=TRIGGER_MAX)
    kwargs: BoundedKwargs | None = None
    display_name: str | None = Field(default=None, max_length=DISPLAY_NAME_MAX, pattern=NO_CONTROL_CHARACTERS)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX, pattern=NO_CONTROL_CHARACTERS)
    paused: bool | None = None
    policy: JobPolicy | None = None


class JobDefinitionOut(BaseModel):
    """A job's definition as data, with its version (send it back in `If-Match` to change the job)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: str
    version: int = Field(description="the definition's version; 0: a catalogue job never edited")
    origin: str = Field(description="`catalogue` (id = kind, cannot be deleted) or `created`")
    trigger: str | None = Field(description="the trigger as written (cron, HH:MM, interval:SECONDS)")
    kwargs: dict[str, Any] = Field(default_factory=dict)
    display_name: str | None = None
    description: str | None = None
    paused: bool
    policy: dict[str, Any] = Field(default_factory=dict)
    next_run_time: str | None = None
    created_by: str | None = None
    created_at: str | None = None
