"""What each operator command becomes, as pure functions of the state and the facts looked up for it.

A refused command is answered with `CommandRejected` (it lands in the operator history) and a rejection
reason (the service sends the command to the dead-letter queue with it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contracts.commands import CancelExecution
from contracts.commands import DeleteExecution
from contracts.commands import MarkExecutionFailed
from contracts.commands import PauseJob
from contracts.commands import ResumeJob
from contracts.commands import TriggerJob
from contracts.commands import UpdateJobMetadata
from contracts.envelope import Command
from contracts.events import TERMINAL_STATUSES
from contracts.events import CancelRequested
from contracts.events import CommandRejected
from contracts.events import ExecutionDeleted
from contracts.events import ExecutionMarkedFailed
from contracts.events import JobMetadataUpdated
from contracts.events import JobPaused
from contracts.events import JobResumed
from contracts.events import QueuedRunCancelled
from contracts.job_parameters import InvalidParameters
from contracts.job_parameters import check_parameters
from domain.records import ExecutionRecord
from domain.scheduling.decide import Claim
from domain.scheduling.decide import Decision
from domain.scheduling.decide import decide_fire
from domain.scheduling.decision import answer_envelope
from domain.scheduling.fire import Fire
from domain.scheduling.fire import Now
from domain.scheduling.job import JobRules
from domain.scheduling.one_offs import one_off_refusal
from domain.scheduling.one_offs import plan_one_off
from domain.scheduling.state import SchedulerState


@dataclass(frozen=True)
class Facts:
    """What the service looked up for one command: its job, its execution, the job's next instant."""

    job: JobRules | None = None
    record: ExecutionRecord | None = None
    next_run_time: datetime | None = None


def reject(command: Command, reason: str, now: Now, producer: str) -> Decision:
    """The command is refused: recorded in the history, and sent to the dead-letter queue."""
    event = CommandRejected(
        **answer_envelope(command, now, producer),
        command_type=command.type,
        command_id=command.message_id,
        job_id=getattr(command, "job_id", None),
        execution_id=getattr(command, "execution_id", None),
        reason=reason,
    )
    return Decision((event,), rejection=reason, log=reason)


def decide_command(
    state: SchedulerState, command: Command, facts: Facts, now: Now, producer: str
) -> Decision:
    """What one command becomes (refused when its job or its execution is unknown)."""
    if isinstance(command, (PauseJob, ResumeJob, TriggerJob, UpdateJobMetadata)):
        if facts.job is None:
            return reject(command, f"unknown job {command.job_id!r}", now, producer)
        return _job_command(state, command, facts.job, facts, now, producer)
    if isinstance(command, (CancelExecution, MarkExecutionFailed, DeleteExecution)):
        if facts.record is None:
            return reject(command, f"unknown execution {command.execution_id!r}", now, producer)
        return _execution_command(state, command, facts.record, now, producer)
    return Decision(rejection=f"the scheduler does not handle {command.type}")


def _job_command(
    state: SchedulerState,
    command: PauseJob | ResumeJob | TriggerJob | UpdateJobMetadata,
    job: JobRules,
    facts: Facts,
    now: Now,
    producer: str,
) -> Decision:
    envelope = {**answer_envelope(command, now, producer), "job_id": job.job_id}
    match command:
        case PauseJob():
            return Decision((JobPaused(**envelope),))
        case ResumeJob():
            return Decision((JobResumed(**envelope, next_run_time=facts.next_run_time),))
        case UpdateJobMetadata():
            update = JobMetadataUpdated(
                **envelope, display_name=command.display_name, description=command.description
            )
            return Decision((update,))
    return _trigger(state, command, job, facts.record, now, producer)


def _trigger(
    state: SchedulerState,
    command: TriggerJob,
    job: JobRules,
    record: ExecutionRecord | None,
    now: Now,
    producer: str,
) -> Decision:
    """A manual run; a redelivered `TriggerJob` (same execution id) finds its execution and does nothing."""
    try:  # the API checked them; a command from elsewhere is checked here again
        check_parameters(job.job_kind, command.kwargs)
    except InvalidParameters as error:
        return reject(command, str(error), now, producer)
    recorded = record.status if record is not None else None
    if command.run_at is not None and command.run_at > now.wall:
        if state.decided(command.execution_id, recorded):
            return Decision(log=f"one-off run {command.execution_id} exists ({recorded}): left as it is")
        refusal = one_off_refusal(command.run_at, now.wall)
        if refusal is not None:
            return reject(command, refusal, now, producer)
        return plan_one_off(job, command, now, producer)
    return decide_fire(state, job, Fire.manual(command), now, producer=producer, recorded=recorded)


def _execution_command(
    state: SchedulerState,
    command: CancelExecution | MarkExecutionFailed | DeleteExecution,
    record: ExecutionRecord,
    now: Now,
    producer: str,
) -> Decision:
    ended = record.status in TERMINAL_STATUSES or state.outcome(record.execution_id) in TERMINAL_STATUSES
    envelope = {
        **answer_envelope(command, now, producer),
        "job_id": record.job_id,
        "execution_id": record.execution_id,
        "attempt": record.attempt,
    }
    match command:
        case DeleteExecution():
            if not ended:
                return reject(
                    command,
                    f"execution {record.execution_id} is {record.status}; cancel it first",
                    now,
                    producer,
                )
            return Decision((ExecutionDeleted(**envelope),))
        case CancelExecution():
            if ended:
                return reject(
                    command, f"execution {record.execution_id} is {record.status}, not running", now, producer
                )
            claim = waiting_claim(state, record, f"cancelled-by:{command.actor}")
            asked = (CancelRequested(**envelope),)
            return Decision(asked, claim=claim, if_claimed=(QueuedRunCancelled(**envelope),))
    if ended:
        return reject(
            command, f"execution {record.execution_id} already ended ({record.status})", now, producer
        )
    failed = (ExecutionMarkedFailed(**envelope, reason=command.reason),)
    return Decision(
        failed, claim=waiting_claim(state, record, f"cancelled-by:{command.actor}"), if_claimed=failed
    )


def waiting_claim(state: SchedulerState, record: ExecutionRecord, holder: str) -> Claim | None:
    """The attempt no worker has started yet, to claim; None when a worker holds it (or none waits)."""
    run = state.runs.get(record.execution_id)
    if run is not None:
        if run.running:
            return None
        return Claim(run.execution_id, run.attempt + 1 if run.retry_due is not None else run.attempt, holder)
    if record.execution_id in state.planned or record.status == "scheduled":
        return Claim(record.execution_id, 1, holder)  # a one-off run not released yet
    if record.execution_id in state.waiting or record.status == "waiting":
        return Claim(record.execution_id, 1, holder)  # a fire waiting for its upstream jobs
    if record.status != "queued":
        return None
    attempt = record.attempt + 1 if record.retry_at is not None else record.attempt
    return Claim(record.execution_id, attempt, holder)
