"""Per-job policies in one process: overlap, timeouts, retries, restarts keep pause state, retention."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from contracts.commands import PauseJob
from contracts.commands import ResumeJob
from contracts.commands import TriggerJob
from domain.job_overrides import JobOverride
from domain.records import ExecutionRecord
from infrastructure.store.port import EventQuery
from infrastructure.store.port import ExecutionQuery
from services.embedded.system import EmbeddedSystem
from services.scheduler.settings import RetentionSettings
from tests.jobs import embedded_settings
from tests.waiting import wait_until

CANARY = "pipeline_canary"


@asynccontextmanager
async def embedded(tmp_path: Path, **canary: Any) -> AsyncIterator[EmbeddedSystem]:
    settings = embedded_settings(
        data_dir=tmp_path,
        worker_capacity=4,
        maintenance_interval_s=0.1,
        jobs={CANARY: JobOverride(**canary)} if canary else {},
    )
    system = EmbeddedSystem(settings)
    await system.start()
    try:
        yield system
    finally:
        await system.stop()


async def trigger(system: EmbeddedSystem, *, force: bool = False, **kwargs: Any) -> str:
    execution_id = uuid.uuid4().hex
    await system.bus.publish(
        TriggerJob(
            producer="test",
            actor="admin",
            job_id=CANARY,
            execution_id=execution_id,
            kwargs=kwargs,
            force=force,
        )
    )
    return execution_id


async def reach(
    system: EmbeddedSystem, execution_id: str, statuses: set[str], timeout: float = 15
) -> ExecutionRecord:
    async def reached() -> bool:
        record = await system.store.get_execution(execution_id)
        return record is not None and record.status in statuses

    await wait_until(reached, timeout=timeout, message=f"{execution_id} to reach {statuses}")
    record = await system.store.get_execution(execution_id)
    assert record is not None
    return record


async def test_overlap_skip_records_a_skipped_run_even_when_forced(tmp_path: Path) -> None:
    """`force` lifts the trading-time check only: the overlap policy holds for forced runs too."""
    async with embedded(tmp_path, overlap="skip") as system:
        first = await trigger(system, duration_s=20, steps=200)
        await reach(system, first, {"running"})
        second = await trigger(system, duration_s=0)
        skipped = await reach(system, second, {"skipped"})
        assert skipped.is_manual and "overlap policy: skip" in (skipped.error_message or "")
        forced = await trigger(system, force=True, duration_s=0)
        await reach(system, forced, {"skipped"})


async def test_overlap_allow_has_a_maximum(tmp_path: Path) -> None:
    async with embedded(tmp_path, overlap="allow", max_concurrent=2) as system:
        long_runs = [await trigger(system, duration_s=20, steps=200) for _ in range(2)]
        for execution_id in long_runs:
            await reach(system, execution_id, {"running"})
        third = await trigger(system, duration_s=0)
        skipped = await reach(system, third, {"skipped"})
        assert "the maximum is 2" in (skipped.error_message or "")


async def test_a_run_over_its_timeout_is_stopped_and_failed(tmp_path: Path) -> None:
    async with embedded(tmp_path, timeout_s=0.5) as system:
        execution_id = await trigger(system, duration_s=30, steps=3)
        failed = await reach(system, execution_id, {"failed"})
        assert failed.error_message == "timed out after 0.5 s"
        assert failed.execution_time is not None and failed.execution_time < 5


async def test_failed_attempts_are_retried_with_backoff_until_the_limit(tmp_path: Path) -> None:
    async with embedded(tmp_path, max_attempts=3, retry_backoff_s=0.1) as system:
        execution_id = await trigger(system, duration_s=0, fail=True)
        failed = await reach(system, execution_id, {"failed"})
        assert failed.attempt == 3
        events, _ = await system.store.list_events(EventQuery(execution_id=execution_id))
        types = [event["type"] for event in events]
        assert types.count("JobStarted") == 3 and types.count("AttemptFailed") == 2


async def test_pause_state_survives_a_restart_whatever_the_settings_say(tmp_path: Path) -> None:
    async with embedded(tmp_path, enabled=True) as system:
        job = await wait_for_job(system, lambda job: not job.paused)
        await system.bus.publish(PauseJob(producer="test", actor="admin", job_id=CANARY))
        await wait_for_job(system, lambda job: job.paused)
    async with embedded(tmp_path, enabled=True) as system:
        job = await wait_for_job(system, lambda job: job.registered_at is not None)
        assert job.paused, "the event log, not the settings, decides after a restart"
        await system.bus.publish(ResumeJob(producer="test", actor="admin", job_id=CANARY))
        await wait_for_job(system, lambda job: not job.paused)
    async with embedded(tmp_path) as system:  # settings: disabled by default
        job = await wait_for_job(system, lambda job: job.registered_at is not None)
        assert not job.paused and job.next_run_time is not None


async def wait_for_job(system: EmbeddedSystem, condition: Callable[[Any], bool]) -> Any:
    async def holds() -> bool:
        job = await system.store.get_job(CANARY)
        return job is not None and condition(job)

    await wait_until(holds)
    return await system.store.get_job(CANARY)


async def test_a_manual_trigger_of_a_paused_job_runs_once_and_leaves_it_paused(tmp_path: Path) -> None:
    async with embedded(tmp_path) as system:
        execution_id = await trigger(system, duration_s=0)
        record = await reach(system, execution_id, {"success"})
        assert record.is_manual and record.kwargs["duration_s"] == 0
        job = await system.store.get_job(CANARY)
        assert job is not None and job.paused and job.kwargs["duration_s"] == 2, "kwargs apply to one run"
        _items, total = await system.store.list_executions(ExecutionQuery(job_id=CANARY))
        assert total == 1


async def test_retention_prunes_old_executions_and_keeps_the_events(tmp_path: Path) -> None:
    settings = embedded_settings(
        data_dir=tmp_path,
        maintenance_interval_s=0.1,
        retention=RetentionSettings(success_days=1 / 86400, interval_s=0.2),  # one second
    )
    system = EmbeddedSystem(settings)
    await system.start()
    try:
        execution_id = await trigger(system, duration_s=0)
        await reach(system, execution_id, {"success"})

        async def pruned() -> bool:
            return await system.store.get_execution(execution_id) is None

        await wait_until(pruned, timeout=10)
        events, _ = await system.store.list_events(EventQuery(execution_id=execution_id))
        assert "JobFinished" in {event["type"] for event in events}, "the event store keeps longer"
        retention_events, _ = await system.store.list_events(EventQuery(type="RetentionApplied"))
        assert retention_events
    finally:
        await system.stop()
