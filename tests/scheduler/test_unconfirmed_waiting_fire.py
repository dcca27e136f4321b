"""A waiting fire whose run or skip got through though the bus did not confirm it: what got through stands.

The leader puts such a fire back among its waiting fires (`rewaited`: the run or skip may not have reached
the broker). When it did (a confirm that came too late), and the leader heard its own echo before the publish
raised, nothing told the leader so. Before, it decided the fire again on a later watch round as if nothing
had been sent: a fire whose skip got through was run on a later upstream success (a run after its
`JobSkipped`), and a fire whose run got through was skipped on a later upstream failure while it ran (its
record ended `skipped`; the run's own end came too late to count). Now the leader reads the fire's record
before deciding it again: released or ended, its wait is over.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from collections.abc import Callable
from typing import Any
from typing import cast

from contracts.commands import PauseJob
from contracts.commands import TriggerJob
from contracts.events import JobSkipped
from contracts.events import RunQueued
from domain.records import ExecutionRecord
from infrastructure.bus.leadership import InProcessElection
from infrastructure.bus.port import Bus
from infrastructure.store.port import EventQuery
from infrastructure.store.port import ExecutionQuery
from services.embedded.system import EmbeddedSystem
from services.scheduler.definitions import JobDefinition
from services.scheduler.service import SchedulerService
from tests.scheduler.bus_doubles import ConfirmsTooLate
from tests.scheduler.bus_doubles import PublishInterceptor
from tests.scheduler.bus_doubles import RefusesFirst
from tests.scheduler.canary_jobs import by_hand
from tests.scheduler.canary_jobs import waiting_for
from tests.waiting import wait_until

UPSTREAM = by_hand("upstream_by_hand", "手动上游", overlapping=True)
TIMES_OUT = waiting_for(UPSTREAM, "times_out", "等一秒", trigger="interval:5", wait_timeout_s=1, duration_s=3)
"""Its first fire times out on a watch round; paused once it waits, it fires no more."""
WAITS_LONG = waiting_for(UPSTREAM, "waits_long", "久等上游", max_concurrent=10)

Action = Callable[[], Awaitable[None]]


class Scene:
    """One leader over the pipeline, leading the upstream and `job`, its watch round every 0.2 s."""

    def __init__(self, system: EmbeddedSystem, job: JobDefinition) -> None:
        self.system = system
        self.job = job
        self.leader: SchedulerService | None = None

    def lead(self, bus: PublishInterceptor) -> SchedulerService:
        self.leader = SchedulerService(
            bus=cast(Bus, bus),
            store=self.system.store,
            election=InProcessElection(f"leader-{self.job.job_id}"),
            definitions={UPSTREAM.job_id: UPSTREAM, self.job.job_id: self.job},
            settings=self.system.settings.model_copy(update={"maintenance_interval_s": 0.2}),
            scheduler_id=self.job.job_id,
        )
        return self.leader

    def outcome(self, execution_id: str) -> str | None:
        assert self.leader is not None and self.leader.office is not None
        return self.leader.office.desk.state.outcome(execution_id)

    async def upstream_ends(self, **kwargs: Any) -> str:
        """An upstream run, ended and folded by the leader (its latest end)."""
        execution_id = uuid.uuid4().hex
        await self.system.bus.publish(
            TriggerJob(
                producer="t", actor="ops", job_id=UPSTREAM.job_id, execution_id=execution_id, kwargs=kwargs
            )
        )

        def folded() -> bool:
            assert self.leader is not None and self.leader.office is not None
            end = self.leader.office.desk.state.progress.ends.get(UPSTREAM.job_id)
            return end is not None and end.execution_id == execution_id

        await wait_until(folded, timeout=15, message="the leader to fold the upstream's end")
        return execution_id

    async def first_fire_waits(self, *, pause: bool = False) -> None:
        async def listed() -> bool:
            page, _ = await self.system.store.list_executions(
                ExecutionQuery(job_id=self.job.job_id, status="waiting")
            )
            return bool(page)

        await wait_until(listed, timeout=20, message="a fire to wait")
        if pause:  # its next instant is seconds away
            await self.system.bus.publish(PauseJob(producer="t", actor="ops", job_id=self.job.job_id))

    def recorded(self, execution_id: str, *statuses: str) -> Action:
        async def check() -> None:
            async def found() -> bool:
                record = await self.system.store.get_execution(execution_id)
                return record is not None and record.status in statuses

            await wait_until(found, timeout=15, message=f"{execution_id} recorded {' or '.join(statuses)}")

        return check

    async def record(self, execution_id: str) -> ExecutionRecord:
        record = await self.system.store.get_execution(execution_id)
        assert record is not None
        return record

    async def event_types(self, execution_id: str) -> list[str]:
        events, _ = await self.system.store.list_events(EventQuery(execution_id=execution_id, limit=100))
        return [event["type"] for event in events]


async def test_a_skip_that_got_through_unconfirmed_stands_and_a_later_upstream_success_runs_nothing(
    pipeline: EmbeddedSystem,
) -> None:
    """The wait times out on a watch round; the skip reaches the broker, its confirm comes too late.

    Meanwhile the leader hears its own skip and the upstream succeeds. Before, the next round ran the fire.
    """
    scene = Scene(pipeline, TIMES_OUT)

    async def meanwhile() -> None:
        (skip,) = bus.refused
        await wait_until(lambda: skip.message_id in bus.handled, message="the leader to hear its skip")
        await scene.recorded(skip.execution_id, "skipped")()
        await scene.upstream_ends()

    bus = ConfirmsTooLate(pipeline.bus, TIMES_OUT.job_id, JobSkipped, meanwhile)
    leader = scene.lead(bus)
    await leader.start()
    try:
        await leader.elected.wait()
        await scene.first_fire_waits(pause=True)
        await wait_until(lambda: bus.raised, timeout=15, message="the skip to go unconfirmed")
        (skip,) = bus.refused
        await wait_until(
            lambda: scene.outcome(skip.execution_id) != "waiting", message="the fire decided again"
        )
        assert scene.outcome(skip.execution_id) == "skipped", "the skipped fire was run"
    finally:
        await leader.stop()
    record = await scene.record(skip.execution_id)
    assert record.status == "skipped" and record.started_at is None
    assert "RunQueued" not in await scene.event_types(skip.execution_id)


async def test_a_run_that_got_through_unconfirmed_stands_and_a_later_upstream_failure_skips_nothing(
    pipeline: EmbeddedSystem,
) -> None:
    """The wait times out; its skip is refused (a nack) while the upstream succeeds, so it waits again.

    The next watch round runs it; that run reaches the broker, its confirm comes too late: meanwhile the
    leader hears it, the worker starts it, the upstream fails. Before, the next round skipped the running
    fire (`upstream_failed`): its record ended `skipped` and its run's `JobFinished` no longer counted.
    """
    scene = Scene(pipeline, TIMES_OUT)

    async def meanwhile() -> None:
        (release,) = late.refused
        await wait_until(lambda: release.message_id in late.handled, message="the leader to hear its run")
        await scene.recorded(release.execution_id, "running")()
        await scene.upstream_ends(fail=True)

    late = ConfirmsTooLate(pipeline.bus, TIMES_OUT.job_id, RunQueued, meanwhile)
    bus = RefusesFirst(cast(Bus, late), TIMES_OUT.job_id, JobSkipped, scene.upstream_ends)
    leader = scene.lead(bus)
    await leader.start()
    try:
        await leader.elected.wait()
        await scene.first_fire_waits(pause=True)
        await wait_until(lambda: late.raised, timeout=15, message="the run to go unconfirmed")
        (release,) = late.refused
        assert bus.raised and bus.refused[0].execution_id == release.execution_id
        await wait_until(lambda: scene.outcome(release.execution_id) != "waiting", message="the fire decided")
        assert scene.outcome(release.execution_id) in ("queued", "running", "success")
        await scene.recorded(release.execution_id, "success", "skipped")()
    finally:
        await leader.stop()
    record = await scene.record(release.execution_id)
    assert record.status == "success", f"the fire that ran ended {record.status}"
    kinds = await scene.event_types(release.execution_id)
    assert "JobSkipped" not in kinds
    assert (kinds.count("RunQueued"), kinds.count("JobStarted"), kinds.count("JobFinished")) == (1, 1, 1)


async def test_a_release_unconfirmed_while_the_leader_follows_an_upstream_end_runs_once(
    pipeline: EmbeddedSystem,
) -> None:
    """The upstream's success releases the oldest fire as the leader follows it; the release gets through.

    The end is handed again once the publish raised, after the leader heard its release (already delivered
    to it): the fire runs once, sent once; its run uses up the success (its `RunJob` was never confirmed:
    its echo counts), so the next fire waits; the upstream's later failure skips only the later fires.
    Before, the next fire ran on the same success.
    """
    scene = Scene(pipeline, WAITS_LONG)

    async def meanwhile() -> None:
        (release,) = bus.refused
        await scene.recorded(release.execution_id, "queued", "running", "success")()

    bus = ConfirmsTooLate(pipeline.bus, WAITS_LONG.job_id, RunQueued, meanwhile)
    leader = scene.lead(bus)
    await leader.start()
    try:
        await leader.elected.wait()
        await scene.first_fire_waits()
        await scene.upstream_ends()
        await wait_until(lambda: bus.raised, timeout=15, message="the release to go unconfirmed")
        (release,) = bus.refused
        assert isinstance(release, RunQueued)
        await scene.recorded(release.execution_id, "success")()

        async def later_fires() -> list[ExecutionRecord]:
            page, _ = await pipeline.store.list_executions(ExecutionQuery(job_id=WAITS_LONG.job_id))
            return [
                record
                for record in page
                if (record.scheduled_time or record.timestamp) > release.scheduled_time
            ]

        async def a_later_fire_decided() -> bool:
            return any(record.status in ("waiting", "success") for record in await later_fires())

        await wait_until(a_later_fire_decided, timeout=15, message="the next fire decided")
        assert {record.status for record in await later_fires()} == {"waiting"}, "one success ran two fires"
        failed = await scene.upstream_ends(fail=True)

        async def later_fires_skipped() -> bool:
            page, _ = await pipeline.store.list_executions(
                ExecutionQuery(job_id=WAITS_LONG.job_id, status="skipped")
            )
            return any((record.error_message or "").endswith(failed) for record in page)

        await wait_until(later_fires_skipped, timeout=15, message="the later fires skipped")
    finally:
        await leader.stop()
    record = await scene.record(release.execution_id)
    assert record.status == "success" and record.attempt == 1
    kinds = await scene.event_types(release.execution_id)
    assert "JobSkipped" not in kinds
    assert (kinds.count("RunQueued"), kinds.count("JobStarted"), kinds.count("JobFinished")) == (1, 1, 1)
    page, _ = await pipeline.store.list_executions(ExecutionQuery(job_id=WAITS_LONG.job_id, status="success"))
    assert [record.execution_id for record in page] == [release.execution_id], "one success ran two fires"
