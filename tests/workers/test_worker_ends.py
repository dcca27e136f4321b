"""The worker's side of truthful ends: `PartialResult` becomes a `partial` end; a cancel that overtook
its run's start (claimed, not yet registered) still stops the run before the job does anything."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Any

from contracts.events import CancelRequested
from contracts.events import JobFinished
from contracts.runs import RunJob
from infrastructure.store.claims_port import LocalRunClaims
from services.workers.job_api import JobContext
from services.workers.job_api import PartialResult
from services.workers.worker import Worker
from tests.api.fakes import RecordingBus

AT = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


def run_request(execution_id: str, job_kind: str, **fields: Any) -> RunJob:
    return RunJob(
        producer="scheduler:s",
        execution_id=execution_id,
        job_id="job",
        job_name="job",
        job_kind=job_kind,
        scheduled_time=AT,
        **fields,
    )


def finished(bus: RecordingBus) -> JobFinished:
    [end] = [message for message in bus.published if isinstance(message, JobFinished)]
    return end


async def test_a_partial_result_ends_the_run_partial_and_is_not_retried() -> None:
    async def half(context: JobContext) -> PartialResult:
        return PartialResult({"rows": 8}, "2 rows refused by invariants")

    bus = RecordingBus()
    worker = Worker(bus, {"half": half}, worker_id="w1", claims=LocalRunClaims())
    await worker.on_run(run_request("e1", "half", max_attempts=3))
    end = finished(bus)
    assert (end.status, end.return_value, end.error_message) == (
        "partial",
        {"rows": 8},
        "2 rows refused by invariants",
    )


async def test_a_cancel_that_came_before_its_run_stops_it_at_once() -> None:
    calls: list[str] = []

    async def job(context: JobContext) -> None:
        calls.append(context.execution_id)

    bus = RecordingBus()
    worker = Worker(bus, {"job": job}, worker_id="w1", claims=LocalRunClaims())
    await worker.on_control(
        CancelRequested(producer="scheduler:s", job_id="job", execution_id="e2", actor="bob")
    )
    await worker.on_run(run_request("e2", "job"))
    end = finished(bus)
    assert end.status == "cancelled" and end.cancelled_by == "bob" and calls == []


async def test_remembered_cancels_are_bounded() -> None:
    bus = RecordingBus()
    worker = Worker(bus, {}, worker_id="w1", claims=LocalRunClaims())
    for number in range(1500):
        await worker.on_control(
            CancelRequested(producer="scheduler:s", job_id="job", execution_id=f"e{number}", actor="bob")
        )
    assert len(worker._early_cancels) == 1000
    assert ("e1499", 1) in worker._early_cancels and ("e0", 1) not in worker._early_cancels
