"""Run ends that tell the truth, in one process: `partial` runs, queued runs cancelled before they start."""

from __future__ import annotations

import uuid
from typing import Any

from contracts.commands import CancelExecution
from contracts.commands import MarkExecutionFailed
from contracts.commands import TriggerJob
from infrastructure.store.port import EventQuery
from infrastructure.store.port import ExecutionQuery
from services.embedded.system import EmbeddedSystem
from tests.slice.test_pipeline import CANARY
from tests.slice.test_pipeline import command
from tests.slice.test_pipeline import trigger
from tests.slice.test_pipeline import wait_for_status

LONG = {"duration_s": 60, "steps": 600}


async def forced_trigger(system: EmbeddedSystem, **kwargs: Any) -> str:
    """A manual run that the overlap policy lets start beside the job's other runs."""
    execution_id = uuid.uuid4().hex
    await system.bus.publish(
        command(TriggerJob, job_id=CANARY, execution_id=execution_id, kwargs=kwargs, force=True)
    )
    return execution_id


async def event_types(system: EmbeddedSystem, execution_id: str) -> list[str]:
    """The run's own events (the alerter's, which name the run too, left out)."""
    events, _ = await system.store.list_events(EventQuery(execution_id=execution_id))
    return [event["type"] for event in events if not event["type"].startswith("Alert")]


async def test_a_canary_asked_to_end_partial_ends_partial_and_is_counted(system: EmbeddedSystem) -> None:
    execution_id = await trigger(system, duration_s=0, steps=2, partial=True)
    record = await wait_for_status(system, execution_id, "partial", "success", "failed")
    assert record.status == "partial"
    assert record.return_value == {"steps": 2, "duration_s": 0.0}, "what was done"
    assert record.error_message is not None and "left undone" in record.error_message, "what was not"
    assert record.attempt == 1, "a partial end is not retried"
    stats = await system.store.execution_stats(CANARY)
    assert stats.partial == 1 and stats.success == 0
    page, total = await system.store.list_executions(ExecutionQuery(status="partial"))
    assert total == 1 and page[0].execution_id == execution_id


async def test_a_queued_run_cancelled_never_starts_and_ends_cancelled_at_once(system: EmbeddedSystem) -> None:
    # The worker runs two at a time: two long runs fill it, the third waits in the queue.
    busy = [await forced_trigger(system, **LONG) for _ in range(2)]
    for execution_id in busy:
        await wait_for_status(system, execution_id, "running")
    waiting = await forced_trigger(system, **LONG)
    await wait_for_status(system, waiting, "queued")

    await system.bus.publish(command(CancelExecution, execution_id=waiting))
    cancelled = await wait_for_status(system, waiting, "cancelled", "running")
    assert cancelled.status == "cancelled" and cancelled.cancel_requested_by == "admin"
    assert cancelled.started_at is None and cancelled.worker_id is None

    # Free the worker: it then receives the cancelled run's request, finds it claimed and drops it.
    for execution_id in busy:
        await system.bus.publish(command(CancelExecution, execution_id=execution_id))
        await wait_for_status(system, execution_id, "cancelled")
    after = await forced_trigger(system, duration_s=0, steps=1)
    await wait_for_status(system, after, "success")
    assert await event_types(system, waiting) == ["RunQueued", "QueuedRunCancelled"]
    record = await system.store.get_execution(waiting)
    assert record is not None and record.status == "cancelled" and record.started_at is None
    assert system.scheduler.office is not None
    assert waiting not in system.scheduler.office.desk.state.runs, "the scheduler tracks it no more"


async def test_a_queued_run_marked_failed_never_starts(system: EmbeddedSystem) -> None:
    busy = [await forced_trigger(system, **LONG) for _ in range(2)]
    for execution_id in busy:
        await wait_for_status(system, execution_id, "running")
    waiting = await forced_trigger(system, **LONG)
    await wait_for_status(system, waiting, "queued")
    await system.bus.publish(command(MarkExecutionFailed, execution_id=waiting, reason="not needed"))
    await wait_for_status(system, waiting, "failed")
    for execution_id in busy:
        await system.bus.publish(command(CancelExecution, execution_id=execution_id))
        await wait_for_status(system, execution_id, "cancelled")
    after = await forced_trigger(system, duration_s=0, steps=1)
    await wait_for_status(system, after, "success")
    assert await event_types(system, waiting) == ["RunQueued", "ExecutionMarkedFailed"]
