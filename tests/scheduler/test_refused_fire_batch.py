"""A fire batch the bus refuses is decided again while the leader stays in office: its instant is not lost.

Before, the refused fire was forgotten and the job's next confirmed instant moved its `next_run_time` past
it, so no catch-up ever saw it: no run, no `JobMissed`. A refusal without a lost connection (a confirm that
came too late, a nack) leaves the leader in office, which is the case here.
"""

from __future__ import annotations

import logging
from typing import cast

import pytest

from contracts.events import RunQueued
from infrastructure.bus.leadership import InProcessElection
from infrastructure.bus.port import Bus
from services.embedded.system import EmbeddedSystem
from services.scheduler.definitions import JobDefinition
from services.scheduler.service import SchedulerService
from tests.scheduler.bus_doubles import RefusesFirst
from tests.waiting import wait_until

EVERY_3_S = JobDefinition(
    job_id="every_3_s",
    name="每三秒",
    job_kind="pipeline_canary",
    trigger="interval:3",
    kwargs={"duration_s": 0},
)


async def test_a_refused_fire_is_decided_again_and_its_instant_recorded(
    pipeline: EmbeddedSystem, caplog: pytest.LogCaptureFixture
) -> None:
    bus = RefusesFirst(pipeline.bus, EVERY_3_S.job_id, RunQueued)
    scheduler = SchedulerService(
        bus=cast(Bus, bus),
        store=pipeline.store,
        election=InProcessElection("leader-refused-fires"),
        definitions={EVERY_3_S.job_id: EVERY_3_S},
        settings=pipeline.settings,
        scheduler_id="refused-fires",
    )
    caplog.set_level(logging.WARNING, logger="services.scheduler")
    await scheduler.start()
    try:
        await scheduler.elected.wait()
        await wait_until(lambda: bool(bus.refused), timeout=15, message="a fire of the job to be refused")
        (execution_id,) = [fire.execution_id for fire in bus.refused]

        async def recorded() -> bool:
            record = await pipeline.store.get_execution(execution_id)
            return record is not None and record.status in ("success", "missed")

        await wait_until(recorded, timeout=20, message="the refused instant to be run (or recorded missed)")
    finally:
        await scheduler.stop()
    assert any("deciding them again" in message for message in caplog.messages)
