"""Job dependencies end to end on the embedded pipeline (scheduler, worker, projector, store): an upstream
canary's end runs or skips its downstream, with the upstream's `JobFinished` as the downstream's cause, and a
new leader neither runs it twice nor forgets one it owes."""

from __future__ import annotations

import uuid
from typing import Any

from contracts.commands import RequestBackfill
from contracts.commands import TriggerJob
from contracts.events import backfill_execution_id
from domain.scheduling.dependencies import dependency_run_id
from domain.scheduling.dependencies import dependency_skip_id
from infrastructure.bus.leadership import InProcessElection
from infrastructure.store.port import EventQuery
from infrastructure.store.port import ExecutionQuery
from services.embedded.system import EmbeddedSystem
from services.scheduler.definitions import JobDefinition
from services.scheduler.service import SchedulerService
from tests.scheduler.canary_jobs import by_hand
from tests.waiting import wait_until

UPSTREAM = by_hand("upstream_canary", "上游", overlapping=True, steps=1)  # manual runs count as well
DOWNSTREAM = JobDefinition(
    job_id="downstream_canary",
    name="下游",
    job_kind="pipeline_canary",
    trigger="after:upstream_canary",
    kwargs={"duration_s": 0, "steps": 1},
)


UPSTREAM_TWO = JobDefinition(**{**UPSTREAM.__dict__, "job_id": "upstream_two"})
BOTH = JobDefinition(
    **{**DOWNSTREAM.__dict__, "job_id": "after_both", "trigger": "after:upstream_canary,upstream_two"}
)
JOBS = {job.job_id: job for job in (UPSTREAM, UPSTREAM_TWO, DOWNSTREAM, BOTH)}


def scheduler_for(system: EmbeddedSystem, name: str) -> SchedulerService:
    return SchedulerService(
        bus=system.bus,
        store=system.store,
        election=InProcessElection(f"leader-{name}"),
        definitions=JOBS,
        settings=system.settings,
        scheduler_id=name,
    )


async def run_upstream(system: EmbeddedSystem, job_id: str = UPSTREAM.job_id, **kwargs: Any) -> str:
    command = TriggerJob(
        producer="t", actor="ops", job_id=job_id, execution_id=uuid.uuid4().hex, kwargs=kwargs
    )
    await system.bus.publish(command)
    return command.execution_id


async def wait_for_status(system: EmbeddedSystem, execution_id: str, status: str) -> None:
    async def reached() -> bool:
        record = await system.store.get_execution(execution_id)
        return record is not None and record.status == status

    await wait_until(reached, timeout=20, message=f"{execution_id} to be {status}")


async def events_of(system: EmbeddedSystem, execution_id: str) -> list[dict[str, Any]]:
    events, _ = await system.store.list_events(EventQuery(execution_id=execution_id))
    return [event for event in events if not event["type"].startswith("Alert")]


async def first_event_caused_by_end(
    pipeline: EmbeddedSystem, upstream: str, downstream: str
) -> dict[str, Any]:
    """The downstream's first event, checked to have the upstream's `JobFinished` as cause and correlation."""
    finished = [event for event in await events_of(pipeline, upstream) if event["type"] == "JobFinished"]
    first = (await events_of(pipeline, downstream))[0]
    assert first["causation_id"] == finished[0]["message_id"]
    assert first["correlation_id"] == finished[0]["correlation_id"]
    return first


async def test_a_succeeding_upstream_runs_its_downstream_caused_by_its_end(pipeline: EmbeddedSystem) -> None:
    scheduler = scheduler_for(pipeline, "deps")
    await scheduler.start()
    try:
        await scheduler.elected.wait()
        upstream = await run_upstream(pipeline)
        downstream = dependency_run_id(DOWNSTREAM.job_id, [upstream])
        await wait_for_status(pipeline, downstream, "success")
    finally:
        await scheduler.stop()
    first = await first_event_caused_by_end(pipeline, upstream, downstream)
    assert first["type"] == "RunQueued"


async def test_a_failing_upstream_skips_its_downstream_with_the_reason_once(pipeline: EmbeddedSystem) -> None:
    scheduler = scheduler_for(pipeline, "deps")
    await scheduler.start()
    try:
        await scheduler.elected.wait()
        upstream = await run_upstream(pipeline, fail=True)
        await wait_for_status(pipeline, upstream, "failed")
        skipped = dependency_skip_id(DOWNSTREAM.job_id, upstream)
        await wait_for_status(pipeline, skipped, "skipped")
    finally:
        await scheduler.stop()
    record = await pipeline.store.get_execution(skipped)
    assert record is not None and record.error_message == f"upstream_failed: {UPSTREAM.job_id} {upstream}"
    page, total = await pipeline.store.list_executions(ExecutionQuery(job_id=DOWNSTREAM.job_id))
    assert total == 1 and page[0].execution_id == skipped


async def test_a_new_leader_neither_runs_a_downstream_again_nor_forgets_it(pipeline: EmbeddedSystem) -> None:
    first = scheduler_for(pipeline, "first")
    await first.start()
    try:
        await first.elected.wait()
        upstream = await run_upstream(pipeline)
        downstream = dependency_run_id(DOWNSTREAM.job_id, [upstream])
        await wait_for_status(pipeline, downstream, "success")
    finally:
        await first.stop()
    second = scheduler_for(pipeline, "second")  # it knows `upstream` succeeded from the read model only
    await second.start()
    try:
        await second.elected.wait()
        other = await run_upstream(pipeline, UPSTREAM_TWO.job_id)
        await wait_for_status(pipeline, dependency_run_id(BOTH.job_id, [upstream, other]), "success")
    finally:
        await second.stop()
    queued = [event for event in await events_of(pipeline, downstream) if event["type"] == "RunQueued"]
    assert len(queued) == 1
    _, total = await pipeline.store.list_executions(ExecutionQuery(job_id=DOWNSTREAM.job_id))
    assert total == 1


async def test_a_backfill_day_of_an_upstream_runs_its_downstream_on_its_day(pipeline: EmbeddedSystem) -> None:
    scheduler = scheduler_for(pipeline, "deps")
    await scheduler.start()
    try:
        await scheduler.elected.wait()
        day, backfill_id = "2024-01-02", "bf" + uuid.uuid4().hex
        await pipeline.bus.publish(
            RequestBackfill(
                producer="t",
                actor="ops",
                job_id=UPSTREAM.job_id,
                backfill_id=backfill_id,
                start_date=day,
                end_date=day,
                days=(day,),
            )
        )
        upstream = backfill_execution_id(backfill_id, day)
        downstream = dependency_run_id(DOWNSTREAM.job_id, [upstream])
        await wait_for_status(pipeline, downstream, "success")
    finally:
        await scheduler.stop()
    await first_event_caused_by_end(pipeline, upstream, downstream)
    record = await pipeline.store.get_execution(downstream)
    # The downstream runs for the backfill's day (the canary takes a `trade_date`), with its own kwargs.
    assert record is not None and record.kwargs == {**DOWNSTREAM.kwargs, "trade_date": day}
    upstream_record = await pipeline.store.get_execution(upstream)
    assert upstream_record is not None and upstream_record.kwargs["trade_date"] == day
