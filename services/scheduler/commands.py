"""Command handlers: one function per command. Each validates, then answers with events.

A refused command is answered with `CommandRejected` (it lands in the operator history) and raised as
`Reject`, which sends the command to the dead-letter queue with the reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from contracts.commands import (
    CancelExecution,
    DeleteExecution,
    MarkExecutionFailed,
    PauseJob,
    ResumeJob,
    TriggerJob,
    UpdateJobMetadata,
)
from contracts.envelope import Command
from contracts.events import (
    TERMINAL_STATUSES,
    CancelRequested,
    CommandRejected,
    ExecutionDeleted,
    ExecutionMarkedFailed,
    JobMetadataUpdated,
    JobPaused,
    JobResumed,
    QueuedRunCancelled,
)
from contracts.job_parameters import InvalidParameters, check_parameters
from domain.records import ExecutionRecord
from infrastructure.bus.port import Reject
from services.scheduler.definitions import JobDefinition

if TYPE_CHECKING:
    from services.scheduler.office import Office


async def reject(service: Office, command: Command, reason: str) -> NoReturn:
    await service.publish(
        CommandRejected(
            producer=service.producer,
            **command.caused(),
            command_type=command.type,
            command_id=command.message_id,
            actor=command.actor,
            job_id=getattr(command, "job_id", None),
            execution_id=getattr(command, "execution_id", None),
            reason=reason,
        )
    )
    raise Reject(reason)


async def _definition(service: Office, command: Command, job_id: str) -> JobDefinition:
    definition = service.definitions.get(job_id)
    if definition is None:
        await reject(service, command, f"unknown job {job_id!r}")
    return definition


async def _execution(service: Office, command: Command, execution_id: str) -> ExecutionRecord:
    record = await service.store.get_execution(execution_id)
    if record is None:
        await reject(service, command, f"unknown execution {execution_id!r}")
    return record


async def pause_job(service: Office, command: PauseJob) -> None:
    await _definition(service, command, command.job_id)
    service.pause(command.job_id)
    await service.publish(
        JobPaused(producer=service.producer, **command.caused(), job_id=command.job_id, actor=command.actor)
    )


async def resume_job(service: Office, command: ResumeJob) -> None:
    await _definition(service, command, command.job_id)
    next_run_time = service.resume(command.job_id)
    await service.publish(
        JobResumed(
            producer=service.producer,
            **command.caused(),
            job_id=command.job_id,
            actor=command.actor,
            next_run_time=next_run_time,
        )
    )


async def trigger_job(service: Office, command: TriggerJob) -> None:
    definition = await _definition(service, command, command.job_id)
    try:  # the API checked them; a command from elsewhere is checked here again
        check_parameters(definition.job_kind, command.kwargs)
    except InvalidParameters as error:
        await reject(service, command, str(error))
    await service.run_or_refuse(
        definition,
        scheduled_time=command.occurred_at,
        execution_id=command.execution_id,
        is_manual=True,
        kwargs=command.kwargs,
        force=command.force,
        actor=command.actor,
        cause=command,
    )


async def update_job_metadata(service: Office, command: UpdateJobMetadata) -> None:
    await _definition(service, command, command.job_id)
    await service.publish(
        JobMetadataUpdated(
            producer=service.producer,
            **command.caused(),
            job_id=command.job_id,
            actor=command.actor,
            display_name=command.display_name,
            description=command.description,
        )
    )


async def cancel_execution(service: Office, command: CancelExecution) -> None:
    """A run no worker has started is claimed here, so none ever starts it, and ends `cancelled` at once;
    a running one is asked to stop (`CancelRequested` reaches its worker)."""
    record = await _execution(service, command, command.execution_id)
    if record.status in TERMINAL_STATUSES:
        await reject(service, command, f"execution {record.execution_id} is {record.status}, not running")
    if await _claim_waiting_run(service, record, command.actor):
        await service.publish(
            QueuedRunCancelled(
                producer=service.producer,
                **command.caused(),
                job_id=record.job_id,
                execution_id=record.execution_id,
                attempt=record.attempt,
                actor=command.actor,
            )
        )
        service.tracker.forget(record.execution_id)
        return
    await service.publish(
        CancelRequested(
            producer=service.producer,
            **command.caused(),
            job_id=record.job_id,
            execution_id=record.execution_id,
            attempt=record.attempt,
            actor=command.actor,
        )
    )


async def _claim_waiting_run(service: Office, record: ExecutionRecord, actor: str) -> bool:
    """Claim the attempt no worker has started yet; False when a worker holds it (or it is not waiting)."""
    attempt = service.tracker.next_attempt_if_waiting(record.execution_id)
    if attempt is None:
        if record.execution_id in service.tracker.runs or record.status != "queued":
            return False
        attempt = record.attempt + 1 if record.retry_at is not None else record.attempt
    return await service.service.claims.claim_run(record.execution_id, attempt, f"cancelled-by:{actor}")


async def mark_execution_failed(service: Office, command: MarkExecutionFailed) -> None:
    """Ends the execution failed; a run no worker has started is claimed first, so none starts it later."""
    record = await _execution(service, command, command.execution_id)
    if record.status in TERMINAL_STATUSES:
        await reject(service, command, f"execution {record.execution_id} already ended ({record.status})")
    await _claim_waiting_run(service, record, command.actor)
    await service.publish(
        ExecutionMarkedFailed(
            producer=service.producer,
            **command.caused(),
            job_id=record.job_id,
            execution_id=record.execution_id,
            attempt=record.attempt,
            actor=command.actor,
            reason=command.reason,
        )
    )


async def delete_execution(service: Office, command: DeleteExecution) -> None:
    record = await _execution(service, command, command.execution_id)
    if record.status not in TERMINAL_STATUSES:
        await reject(service, command, f"execution {record.execution_id} is {record.status}; cancel it first")
    await service.publish(
        ExecutionDeleted(
            producer=service.producer,
            **command.caused(),
            job_id=record.job_id,
            execution_id=record.execution_id,
            attempt=record.attempt,
            actor=command.actor,
        )
    )


def ordering_key(command: Command) -> str:
    """Commands with the same key are handled one after the other, in the order they came."""
    execution_id = getattr(command, "execution_id", None)
    return f"execution:{execution_id}" if execution_id else f"job:{getattr(command, 'job_id', '')}"


async def handle_command(service: Office, command: Command) -> None:
    match command:
        case PauseJob():
            await pause_job(service, command)
        case ResumeJob():
            await resume_job(service, command)
        case TriggerJob():
            await trigger_job(service, command)
        case UpdateJobMetadata():
            await update_job_metadata(service, command)
        case CancelExecution():
            await cancel_execution(service, command)
        case MarkExecutionFailed():
            await mark_execution_failed(service, command)
        case DeleteExecution():
            await delete_execution(service, command)
        case _:
            raise Reject(f"the scheduler does not handle {command.type}")
