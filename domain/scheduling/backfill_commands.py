"""What `RequestBackfill` and `CancelBackfill` become (pure): the backfill's events, or a refusal.

The API checks the same rules first (a clear 4xx at once); the scheduler checks again, since a command may
come from elsewhere, and the cap on active backfills is the leader's to hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.commands import CancelBackfill
from contracts.commands import RequestBackfill
from contracts.events import BackfillCancelled
from contracts.events import BackfillRequested
from contracts.job_parameters import InvalidParameters
from contracts.job_parameters import check_parameters
from domain.scheduling.backfills import BackfillBook
from domain.scheduling.backfills import day_kwargs
from domain.scheduling.commands import reject
from domain.scheduling.decide import Decision
from domain.scheduling.decision import answered
from domain.scheduling.fire import Now
from domain.scheduling.job import JobRules


@dataclass(frozen=True)
class BackfillLimits:
    """The settings that bound backfills: how many may be active, how many runs of one at once."""

    max_active: int
    max_parallel: int


def request_refusal(command: RequestBackfill, job: JobRules, limits: BackfillLimits) -> str | None:
    """Why a backfill cannot be made of this job with these days (None: it can)."""
    days = command.days
    if not day_kwargs(job.job_kind, days[0]):
        return f"job {job.job_id} ({job.job_kind}) does not take a date range"
    if list(days) != sorted(set(days)):
        return "days must be distinct and oldest first"
    if days[0] < command.start_date or days[-1] > command.end_date:
        return f"days must lie within {command.start_date}..{command.end_date}"
    if command.max_parallel > limits.max_parallel:
        return f"max_parallel {command.max_parallel} is above the limit ({limits.max_parallel})"
    try:
        check_parameters(job.job_kind, {**job.kwargs, **command.kwargs, **day_kwargs(job.job_kind, days[0])})
    except InvalidParameters as error:
        return str(error)
    return None


def decide_request(
    book: BackfillBook,
    command: RequestBackfill,
    job: JobRules | None,
    limits: BackfillLimits,
    now: Now,
    producer: str,
    *,
    recorded: bool = False,
) -> Decision:
    """The decision on a `RequestBackfill`.

    A new backfill (`BackfillRequested`), nothing for one that exists (`recorded`: in the read model),
    or a refusal.
    """
    if recorded or book.knows(command.backfill_id):
        return Decision(log=f"backfill {command.backfill_id} exists: left as it is")
    if job is None:
        return reject(command, f"unknown job {command.job_id!r}", now, producer)
    refusal = request_refusal(command, job, limits)
    if refusal is None and len(book.active) >= limits.max_active:
        refusal = f"{len(book.active)} backfills are active, the limit is {limits.max_active}"
    if refusal is not None:
        return reject(command, refusal, now, producer)
    event = answered(
        BackfillRequested, command, now, producer, job_id=job.job_id, command_id=command.message_id
    )
    return Decision((event,), log=f"backfill {command.backfill_id} of {job.job_id}: {len(command.days)} days")


def decide_cancel(
    book: BackfillBook, command: CancelBackfill, now: Now, producer: str, *, recorded: bool = False
) -> Decision:
    """`BackfillCancelled` for a backfill in progress; nothing for one finished or already cancelled."""
    backfill = book.active.get(command.backfill_id)
    if backfill is None:
        if recorded or command.backfill_id in book.finished:
            return Decision(log=f"backfill {command.backfill_id} has finished: nothing to cancel")
        return reject(command, f"unknown backfill {command.backfill_id!r}", now, producer)
    if backfill.cancelled:
        return Decision(log=f"backfill {command.backfill_id} is already cancelled")
    event = answered(BackfillCancelled, command, now, producer, job_id=backfill.job_id)
    return Decision((event,), log=f"backfill {command.backfill_id} cancelled by {command.actor}")
