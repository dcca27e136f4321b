"""The slice in one process: commands → scheduler → worker → events → projector → read models."""

from __future__ import annotations

import uuid
from typing import Any

from contracts.commands import CancelExecution
from contracts.commands import DeleteExecution
from contracts.commands import MarkExecutionFailed
from contracts.commands import PauseJob
from contracts.commands import ResumeJob
from contracts.commands import TriggerJob
from contracts.commands import UpdateJobMetadata
from contracts.envelope import Command
from domain.records import ExecutionRecord
from infrastructure.store.port import EventQuery
from infrastructure.store.port import ExecutionQuery
from infrastructure.store.port import HistoryQuery
from services.embedded.system import EmbeddedSystem
from tests.waiting import wait_until

CANARY = "pipeline_canary"


def command(cls: type[Command], **fields: Any) -> Command:
    return cls(producer="test", actor="admin", **fields)


async def trigger(system: EmbeddedSystem, **kwargs: Any) -> str:
    execution_id = uuid.uuid4().hex
    await system.bus.publish(command(TriggerJob, job_id=CANARY, execution_id=execution_id, kwargs=kwargs))
    return execution_id


async def wait_for_status(system: EmbeddedSystem, execution_id: str, *statuses: str) -> ExecutionRecord:
    async def reached() -> bool:
        record = await system.store.get_execution(execution_id)
        return record is not None and record.status in statuses

    await wait_until(reached, timeout=15, message=f"execution {execution_id} to be {statuses}")
    record = await system.store.get_execution(execution_id)
    assert record is not None
    return record


async def test_the_scheduler_registers_the_canary_paused(system: EmbeddedSystem) -> None:
    async def registered() -> bool:
        return await system.store.get_job(CANARY) is not None

    await wait_until(registered)
    (view,) = [view for view in await system.store.list_jobs() if view.job.job_id == CANARY]
    assert view.job.paused and view.job.next_run_time is None
    assert view.job.trigger.startswith("interval[")


async def test_a_triggered_canary_reaches_success_with_progress_100(system: EmbeddedSystem) -> None:
    execution_id = await trigger(system, duration_s=0.2, steps=4)
    record = await wait_for_status(system, execution_id, "success")
    assert record.progress == 100.0 and record.is_manual and record.processed_items == 4
    assert record.execution_time is not None and 0.15 <= record.execution_time < 5
    assert record.return_value == {"steps": 4, "duration_s": 0.2}
    events, total = await system.store.list_events(EventQuery(execution_id=execution_id))
    assert [event["type"] for event in events] == [
        "RunQueued",
        "JobStarted",
        "Progress",
        "Progress",
        "Progress",
        "Progress",
        "JobFinished",
    ]
    assert total == 7
    job = await system.store.get_job(CANARY)
    assert job is not None and job.paused, "a manual trigger leaves a paused job paused"


async def test_a_canary_asked_to_fail_ends_failed_with_the_error(system: EmbeddedSystem) -> None:
    execution_id = await trigger(system, duration_s=0, fail=True)
    record = await wait_for_status(system, execution_id, "failed")
    assert record.error_message is not None and "failed on purpose" in record.error_message
    assert record.traceback is not None and "CanaryFailure" in record.traceback


async def test_invalid_canary_arguments_are_rejected_with_a_clear_reason(system: EmbeddedSystem) -> None:
    """The scheduler checks a trigger's kwargs against the job's declared parameters (the API did too)."""
    execution_id = await trigger(system, duration_s="soon")

    async def rejected() -> list[dict[str, object]]:
        events, _ = await system.store.list_events(
            EventQuery(execution_id=execution_id, type="CommandRejected")
        )
        return events

    await wait_until(rejected, message="the trigger to be rejected")
    [event] = await rejected()
    assert "duration_s: Input should be a valid number" in str(event["reason"])
    assert "accepted parameters: duration_s, steps, fail" in str(event["reason"])
    assert await system.store.get_execution(execution_id) is None


async def test_cancel_stops_a_running_canary(system: EmbeddedSystem) -> None:
    execution_id = await trigger(system, duration_s=30, steps=300)
    await wait_for_status(system, execution_id, "running")
    await system.bus.publish(command(CancelExecution, execution_id=execution_id))
    record = await wait_for_status(system, execution_id, "cancelled")
    assert record.cancel_requested and record.cancel_requested_by == "admin"
    assert record.execution_time is not None and record.execution_time < 10


async def test_pause_resume_and_metadata_are_projected_and_audited(system: EmbeddedSystem) -> None:
    await system.bus.publish(command(ResumeJob, job_id=CANARY))

    async def resumed() -> bool:
        job = await system.store.get_job(CANARY)
        return job is not None and not job.paused and job.next_run_time is not None

    await wait_until(resumed)
    await system.bus.publish(command(PauseJob, job_id=CANARY))
    await system.bus.publish(command(UpdateJobMetadata, job_id=CANARY, display_name="自检"))

    async def audited() -> bool:
        _, total = await system.store.list_history(HistoryQuery(job_id=CANARY))
        return total == 3

    await wait_until(audited)
    history, _ = await system.store.list_history(HistoryQuery(job_id=CANARY))
    assert [entry.action for entry in history] == ["update_metadata", "pause", "resume"]
    assert {entry.actor for entry in history} == {"admin"}
    view = await system.store.get_job_view(CANARY)
    assert view is not None and view.job.paused and view.metadata is not None
    assert view.metadata.display_name == "自检"


async def test_commands_for_unknown_things_are_rejected_and_dead_lettered(system: EmbeddedSystem) -> None:
    await system.bus.publish(command(PauseJob, job_id="no_such_job"))
    await system.bus.publish(command(CancelExecution, execution_id="no_such_execution"))

    async def rejected() -> bool:
        _, total = await system.store.list_history(HistoryQuery(status="failed"))
        return total == 2

    await wait_until(rejected)
    history, _ = await system.store.list_history(HistoryQuery(status="failed"))
    reasons = sorted(entry.error_message or "" for entry in history)
    assert reasons == ["unknown execution 'no_such_execution'", "unknown job 'no_such_job'"]
    dead = await system.bus.take_dead_letters()
    assert sorted(letter.reason for letter in dead) == reasons
    # The scheduler keeps handling commands after the rejections.
    execution_id = await trigger(system, duration_s=0)
    await wait_for_status(system, execution_id, "success")


async def test_delete_is_refused_while_running_and_mark_failed_ends_a_run(system: EmbeddedSystem) -> None:
    execution_id = await trigger(system, duration_s=30, steps=300)
    await wait_for_status(system, execution_id, "running")
    await system.bus.publish(command(DeleteExecution, execution_id=execution_id))
    await system.bus.publish(command(MarkExecutionFailed, execution_id=execution_id, reason="stuck"))
    record = await wait_for_status(system, execution_id, "failed")
    assert record.error_message == "stuck"
    await system.bus.publish(command(DeleteExecution, execution_id=execution_id))

    async def deleted() -> bool:
        return await system.store.get_execution(execution_id) is None

    await wait_until(deleted)
    events, _ = await system.store.list_events(EventQuery(execution_id=execution_id))
    assert "ExecutionDeleted" in {event["type"] for event in events}, "the event store keeps everything"
    items, _total = await system.store.list_executions(ExecutionQuery(job_id=CANARY))
    assert execution_id not in {item.execution_id for item in items}


async def test_scheduler_heartbeats_are_projected(system: EmbeddedSystem) -> None:
    async def beating() -> bool:
        return bool(await system.store.list_scheduler_states())

    await wait_until(beating)
    (state,) = await system.store.list_scheduler_states()
    assert state.state == 1 and state.total_jobs >= 1
