"""The envelope every message carries, whatever its kind."""

from __future__ import annotations

import types
import typing
import uuid
from datetime import UTC
from datetime import datetime
from typing import Annotated
from typing import Any
from typing import ClassVar
from typing import Self

from pydantic import AwareDatetime
from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field
from pydantic import field_validator
from pydantic import model_validator

JobIdStr = Annotated[str, Field(min_length=1, max_length=200)]
"""A job id as messages carry it: 1 to 200 characters (a new job's id is narrower: `JOB_ID_PATTERN`)."""
ExecutionIdStr = Annotated[str, Field(min_length=1, max_length=100)]
"""An execution id as every message carries it: 1 to 100 characters."""


def new_message_id() -> str:
    """A fresh random message id (32 hex characters), unique per message sent."""
    return uuid.uuid4().hex


def to_millisecond(moment: datetime) -> datetime:
    """A moment cut to whole milliseconds.

    Whole milliseconds are the precision of a BSON date, so every time the system makes reads back from either
    store as it was written (a duration computed live from stored times equals the one a replay computes from
    the events).
    """
    extra = moment.microsecond % 1000
    return moment.replace(microsecond=moment.microsecond - extra) if extra else moment


def utc_now() -> datetime:
    """The clock of every service: aware UTC, whole milliseconds."""
    return to_millisecond(datetime.now(UTC))


def _holds_datetime(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, datetime | AwareDatetime):
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, typing.Annotated):
        return any(_holds_datetime(argument) for argument in typing.get_args(annotation))
    return False


class Message(BaseModel):
    """Base of every message: identity, causality and provenance.

    `type` and `version` together select the class that decodes a message; `correlation_id` ties together
    everything that follows from one operator action or scheduled fire, `causation_id` names the message that
    directly caused this one.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ClassVar[str] = "message"

    message_id: str = Field(default_factory=new_message_id, min_length=1, max_length=64)
    type: str
    version: int = 1
    occurred_at: AwareDatetime = Field(default_factory=utc_now)
    correlation_id: str = Field(default_factory=new_message_id, min_length=1, max_length=64)
    causation_id: str | None = Field(default=None, max_length=64)
    producer: str = Field(min_length=1, max_length=100)

    # The datetime fields of the class: cut to milliseconds whoever made the message (`to_millisecond`).
    _moment_fields: ClassVar[tuple[str, ...]] = ("occurred_at",)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        fields = cls.model_fields.items()
        cls._moment_fields = tuple(name for name, field in fields if _holds_datetime(field.annotation))

    @field_validator("occurred_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _to_millisecond(self) -> Self:
        values = self.__dict__
        for name in self._moment_fields:
            moment = values[name]
            if moment is not None and moment.microsecond % 1000:
                values[name] = to_millisecond(moment)
        return self

    def caused(self) -> dict[str, Any]:
        """Envelope fields for a message that this one causes (same correlation, this as cause)."""
        return {"correlation_id": self.correlation_id, "causation_id": self.message_id}


class Command(Message):
    """An instruction to the scheduler service, its single handler. Carries the operator who asked."""

    kind: ClassVar[str] = "command"
    actor: str = Field(min_length=1, max_length=100)


class JobCommand(Command):
    """An instruction about one job of the catalogue."""

    job_id: JobIdStr


class ExecutionCommand(Command):
    """An instruction about one execution (run) of a job."""

    execution_id: ExecutionIdStr


class Event(Message):
    """A fact that happened; the event store keeps every one of them."""

    kind: ClassVar[str] = "event"


class JobEvent(Event):
    """A fact about one job of the catalogue."""

    job_id: JobIdStr


class ExecutionEvent(JobEvent):
    """A fact about one execution (run) of a job.

    `attempt` and `sequence` order the events of one execution: the worker running attempt N numbers its
    events 1, 2, 3 ...; events the scheduler emits about the execution (queued, missed, skipped, cancel
    requested, marked failed, deleted) carry sequence 0 and are ordered by the projection's guards.
    """

    execution_id: ExecutionIdStr
    attempt: int = Field(default=1, ge=1)
    sequence: int = Field(default=0, ge=0)
