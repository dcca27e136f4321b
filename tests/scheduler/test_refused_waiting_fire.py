"""A waiting fire the bus refused to announce or to release is not lost while the leader stays in office.

Before, the leader kept a fire whose `RunWaiting` was refused in memory only: nothing published it again,
and the job's next confirmed instant moved its `next_run_time` past it, so after a change of leader no
catch-up saw the instant and the read model had no record of it: no run, no `JobMissed`, no record. And a
fire whose release (`RunQueued`) was refused left the leader's waiting fires for good: no watch round
decided it again. A refusal without a lost connection (a confirm that came too late, a nack) leaves the
leader in office, which is the case here.
"""

from __future__ import annotations

import uuid
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import cast

from contracts.commands import TriggerJob
from contracts.events import RunQueued
from contracts.events import RunWaiting
from domain.records import ExecutionRecord
from infrastructure.bus.leadership import InProcessElection
from infrastructure.bus.port import Bus
from infrastructure.store.port import EventQuery
from infrastructure.store.port import ExecutionQuery
from services.embedded.system import EmbeddedSystem
from services.scheduler.service import SchedulerService
from tests.scheduler.bus_doubles import PublishInterceptor
from tests.scheduler.bus_doubles import RefusesFirst
from tests.scheduler.canary_jobs import by_hand
from tests.scheduler.canary_jobs import waiting_for
from tests.waiting import wait_until

UPSTREAM = by_hand("never_runs", "不跑的上游")
WAITER = waiting_for(UPSTREAM, "waits_every_2_s", "每两秒等上游")
JOBS = {job.job_id: job for job in (UPSTREAM, WAITER)}


def scheduler(system: EmbeddedSystem, bus: Bus | PublishInterceptor, name: str) -> SchedulerService:
    return SchedulerService(
        bus=cast(Bus, bus),
        store=system.store,
        election=InProcessElection(f"leader-{name}"),
        definitions=JOBS,
        settings=system.settings,
        scheduler_id=name,
    )


async def test_a_refused_wait_is_published_again_and_a_new_leader_keeps_the_fire(
    pipeline: EmbeddedSystem,
) -> None:
    bus = RefusesFirst(pipeline.bus, WAITER.job_id, RunWaiting)
    first = scheduler(pipeline, bus, "refused-wait-first")
    await first.start()
    try:
        await first.elected.wait()
        await wait_until(lambda: bool(bus.refused), timeout=15, message="a waiting fire to be refused")
        (refused,) = bus.refused
        assert isinstance(refused, RunWaiting)

        async def moved_past() -> bool:  # a later instant of the job confirmed
            view = await pipeline.store.get_job(WAITER.job_id)
            after = view.next_run_time if view is not None else None
            return after is not None and after > refused.scheduled_time + timedelta(seconds=2)

        await wait_until(moved_past, timeout=15, message="the job's next_run_time past the refused instant")
    finally:
        await first.stop()
    taken_over = datetime.now(UTC)
    second = scheduler(pipeline, pipeline.bus, "refused-wait-second")
    await second.start()
    try:
        await second.elected.wait()

        async def fired_since() -> bool:  # the new leader took office, caught up and fired
            page, _ = await pipeline.store.list_executions(ExecutionQuery(job_id=WAITER.job_id, limit=200))
            return any(record.scheduled_time and record.scheduled_time > taken_over for record in page)

        await wait_until(fired_since, timeout=15, message="the new leader to decide an instant")
        record = await pipeline.store.get_execution(refused.execution_id)
        assert record is not None, "the refused waiting fire was lost: no record, no run, no miss"
        assert record.status == "waiting" and record.waiting_for == [UPSTREAM.job_id]
        assert second.office is not None and refused.execution_id in second.office.desk.state.waiting
    finally:
        await second.stop()
    events, _ = await pipeline.store.list_events(EventQuery(execution_id=refused.execution_id))
    assert [event["message_id"] for event in events if event["type"] == "RunWaiting"] == [refused.message_id]


async def test_a_refused_release_waits_again_and_runs_at_the_next_round(pipeline: EmbeddedSystem) -> None:
    bus = RefusesFirst(pipeline.bus, WAITER.job_id, RunQueued)
    leader = scheduler(pipeline, bus, "refused-release")
    await leader.start()
    try:
        await leader.elected.wait()

        async def waits() -> list[ExecutionRecord]:
            page, _ = await pipeline.store.list_executions(
                ExecutionQuery(job_id=WAITER.job_id, status="waiting")
            )
            return page

        await wait_until(waits, timeout=15, message="a fire to wait")
        trigger = TriggerJob(producer="t", actor="ops", job_id=UPSTREAM.job_id, execution_id=uuid.uuid4().hex)
        await pipeline.bus.publish(trigger)
        await wait_until(lambda: bool(bus.refused), timeout=15, message="the release to be refused")
        (refused,) = bus.refused

        async def ran() -> bool:
            record = await pipeline.store.get_execution(refused.execution_id)
            return record is not None and record.status == "success"

        await wait_until(ran, timeout=15, message="the refused release to be decided again and run")
    finally:
        await leader.stop()
