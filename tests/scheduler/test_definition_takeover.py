"""An edit made while its leader goes away is applied exactly once by the next leader.

In one process (the RabbitMQ version with real processes and kill -9 is `tests/lifecycle`): the projector
paused, so the jobs read model does not have the edit when the next leader takes office; that leader
applies it from `scheduler.definitions`, takes the same command handed to it again as applied already,
and the event log ends with one `JobChanged`.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from contracts.commands import ChangeJob
from domain.catalogue import CANARY_JOB_ID
from infrastructure.bus.leadership import InProcessElection
from infrastructure.store.port import EventQuery
from services.embedded.system import EmbeddedSystem
from services.scheduler.service import SchedulerService
from tests.waiting import wait_until

NEW_TRIGGER = "0 3 * * *"


def scheduler_for(system: EmbeddedSystem, name: str) -> SchedulerService:
    return SchedulerService(
        bus=system.bus,
        store=system.store,
        election=InProcessElection(f"leader-{name}"),
        definitions=system.scheduler.definitions,
        settings=system.settings,
        scheduler_id=name,
    )


async def job_changes(system: EmbeddedSystem) -> list[dict[str, Any]]:
    events, _ = await system.store.list_events(EventQuery(job_id=CANARY_JOB_ID, limit=500))
    return [event for event in events if event["type"] == "JobChanged"]


def next_fire(scheduler: SchedulerService) -> datetime | None:
    """When the leader's trigger for the job fires next (the canary is paused here: not on the clock)."""
    office = scheduler.office
    assert office is not None
    fire = office.triggers[CANARY_JOB_ID].next_after(datetime.now(UTC))
    return None if fire is None else fire.astimezone(ZoneInfo(scheduler.settings.timezone))


async def test_an_edit_not_projected_when_its_leader_goes_is_applied_once_by_the_next(
    pipeline: EmbeddedSystem,
) -> None:
    async def registered() -> bool:
        return await pipeline.store.get_job(CANARY_JOB_ID) is not None

    await wait_until(registered, timeout=10, message="the canary in the read model")
    record = await pipeline.store.get_job(CANARY_JOB_ID)
    assert record is not None
    version = record.job_version
    first = scheduler_for(pipeline, "first")
    await first.start()
    await first.elected.wait()
    projection = pipeline._projection
    assert projection is not None
    await projection.pause()  # the projector stops: the jobs read model keeps the old definition
    change = ChangeJob(
        producer="test", actor="admin", job_id=CANARY_JOB_ID, expected_version=version, trigger=NEW_TRIGGER
    )
    await pipeline.bus.publish(change)

    def applied_by_first() -> bool:
        office = first.office
        return office is not None and office.desk.definitions[CANARY_JOB_ID].trigger == NEW_TRIGGER

    await wait_until(applied_by_first, timeout=10, message="the first leader applies the edit")
    await first.stop()
    stale = await pipeline.store.get_job(CANARY_JOB_ID)
    assert stale is not None and stale.job_version == version, "the read model does not have the edit"

    second = scheduler_for(pipeline, "second")
    await second.start()
    try:
        await second.elected.wait()
        assert second.office is not None
        taken_over = second.office.desk.definitions[CANARY_JOB_ID]
        assert (taken_over.trigger, taken_over.version) == (NEW_TRIGGER, version + 1)
        fire = next_fire(second)
        assert fire is not None and (fire.hour, fire.minute) == (3, 0)
        await pipeline.bus.publish(change)  # the same command, handed to the new leader again
        # Then one more edit of the job, taken in order after it: stale (refused) had it been applied twice.
        marker = ChangeJob(
            producer="test",
            actor="admin",
            job_id=CANARY_JOB_ID,
            expected_version=version + 1,
            description="next",
        )
        await pipeline.bus.publish(marker)
        await projection.resume()

        async def projected() -> bool:
            job = await pipeline.store.get_job(CANARY_JOB_ID)
            return job is not None and job.job_version == version + 2

        await wait_until(projected, timeout=10, message="the read model with both edits")
    finally:
        await second.stop()
    job = await pipeline.store.get_job(CANARY_JOB_ID)
    assert job is not None and job.definition is not None and job.definition["trigger"] == NEW_TRIGGER
    assert "hour='3'" in job.trigger, "registered again by the new leader under the new trigger"
    trigger_changes = [event for event in await job_changes(pipeline) if "trigger" in event["changes"]]
    assert len(trigger_changes) == 1, trigger_changes
    assert trigger_changes[0]["producer"] == "scheduler:first"
