"""The envelope every message carries, whatever its kind."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator


def new_message_id() -> str:
    return uuid.uuid4().hex


def utc_now() -> datetime:
    return datetime.now(UTC)


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

    @field_validator("occurred_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    def caused(self) -> dict[str, Any]:
        """Envelope fields for a message that this one causes (same correlation, this as cause)."""
        return {"correlation_id": self.correlation_id, "causation_id": self.message_id}


class Command(Message):
    """An instruction to the scheduler service, its single handler. Carries the operator who asked."""

    kind: ClassVar[str] = "command"
    actor: str = Field(min_length=1, max_length=100)


class Event(Message):
    """A fact that happened; the event store keeps every one of them."""

    kind: ClassVar[str] = "event"


class JobEvent(Event):
    """A fact about one job of the catalogue."""

    job_id: str = Field(min_length=1, max_length=200)


class ExecutionEvent(JobEvent):
    """A fact about one execution (run) of a job.

    `attempt` and `sequence` order the events of one execution: the worker running attempt N numbers its
    events 1, 2, 3 ...; events the scheduler emits about the execution (queued, missed, skipped, cancel
    requested, marked failed, deleted) carry sequence 0 and are ordered by the projection's guards.
    """

    execution_id: str = Field(min_length=1, max_length=100)
    attempt: int = Field(default=1, ge=1)
    sequence: int = Field(default=0, ge=0)
