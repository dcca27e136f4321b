"""A decision of the decider, the messages of a run, and the envelope of an event that answers a command.

A decision is the messages to publish and a claim to make first. Pure: `domain.scheduling.decide` and
`domain.scheduling.waiting` build decisions with these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from typing import TypeVar

from contracts.envelope import Command
from contracts.envelope import Message
from contracts.events import RunQueued
from contracts.runs import RunJob
from domain.scheduling.fire import Fire
from domain.scheduling.fire import Now
from domain.scheduling.job import JobRules

AnyMessage = TypeVar("AnyMessage", bound=Message)


@dataclass(frozen=True)
class Claim:
    """A run attempt to claim before publishing, so that no worker ever starts it."""

    execution_id: str
    attempt: int
    holder: str


@dataclass(frozen=True)
class Decision:
    """The messages to publish, and the claim they depend on.

    Messages to publish; with a claim, the claim is made first and `if_claimed` replaces `messages`
    when it is won. `rejection` refuses a command (its `CommandRejected` is in `messages`).
    """

    messages: tuple[Message, ...] = ()
    claim: Claim | None = None
    if_claimed: tuple[Message, ...] | None = None
    rejection: str | None = None
    log: str | None = None


NOTHING = Decision()


def answer_envelope(command: Command, now: Now, producer: str) -> dict[str, Any]:
    """The envelope of an event that answers `command`.

    From this producer, now, with the command as its cause and the command's actor.
    """
    return {"producer": producer, "occurred_at": now.wall, **command.caused(), "actor": command.actor}


def answered(
    event_type: type[AnyMessage], command: Command, now: Now, producer: str, **fields: Any
) -> AnyMessage:
    """The event that answers `command`, carrying the command's own fields that the event has too.

    Its envelope is `answer_envelope`'s, never the command's (id, type, version); `fields` add to the
    command's or replace them.
    """
    own = {
        name: getattr(command, name)
        for name in type(command).model_fields
        if name not in Command.model_fields and name in event_type.model_fields
    }
    return event_type(**{**own, **answer_envelope(command, now, producer), **fields})


def run_messages(
    job: JobRules, fire: Fire, envelope: dict[str, Any], fields: dict[str, Any], producer: str
) -> tuple[Message, ...]:
    """The `RunQueued` and `RunJob` of a fire that runs."""
    kwargs = {**job.kwargs, **fire.kwargs}
    queued = RunQueued(
        **envelope, **fields, is_manual=fire.is_manual, kwargs=kwargs, force=fire.force, actor=fire.actor
    )
    run = RunJob(
        producer=producer,
        occurred_at=envelope["occurred_at"],
        correlation_id=queued.correlation_id,
        causation_id=queued.message_id,
        **fields,
        job_kind=job.job_kind,
        kwargs=kwargs,
        is_manual=fire.is_manual,
        force=fire.force,
        **retry_fields(job),
    )
    return queued, run


def retry_fields(job: JobRules) -> dict[str, Any]:
    """The run request's fields that carry the job's retry policy and pool."""
    policy = job.policy
    return {
        "max_attempts": policy.max_attempts,
        "retry_backoff_s": policy.retry_backoff_s,
        "retry_backoff_max_s": policy.retry_backoff_max_s,
        "timeout_s": policy.timeout_s,
        "pool": job.pool,
    }
