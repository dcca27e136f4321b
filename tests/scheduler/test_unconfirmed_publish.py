"""A run whose publish was not confirmed although its messages reached the broker is never left behind.

Found in a bench run under a slow broker: the leader forgot the run it had decided (the publish raised), the
redelivered `TriggerJob` found it `queued` in the read model and left it, and its lost `RunJob` was never
sent again. The leader's reconciliation with the read model adopts it; the redispatch sends it again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import cast

import pytest

from contracts.commands import TriggerJob
from contracts.envelope import Message
from contracts.runs import RunJob
from infrastructure.bus.leadership import InProcessElection
from infrastructure.bus.port import Bus
from infrastructure.bus.port import BusUnavailable
from infrastructure.store.port import EventQuery
from infrastructure.store.port import Store
from services.embedded.system import EmbeddedSystem
from services.scheduler.service import SchedulerService
from tests.scheduler.bus_doubles import PublishInterceptor
from tests.scheduler.canary_jobs import by_hand
from tests.waiting import wait_until

BY_HAND = by_hand("by_hand", "手动")


class LateConfirmBus(PublishInterceptor):
    """The embedded bus, but for one publish, as a slow broker makes it.

    The publish carrying the `RunJob` of `execution_id`: its other messages reach the broker, the `RunJob` is
    lost, and no confirm comes in time (it raises once the read model lists the run, as the bench saw).
    """

    def __init__(self, bus: Bus, store: Store, execution_id: str) -> None:
        super().__init__(bus)
        self._store = store
        self._execution_id = execution_id
        self.unconfirmed = 0
        self.run_jobs: list[RunJob] = []  # those of `execution_id` that reached the broker

    async def publish_many(self, messages: Sequence[Message]) -> None:
        ours = [m for m in messages if isinstance(m, RunJob) and m.execution_id == self._execution_id]
        if not ours or self.unconfirmed:
            self.run_jobs.extend(ours)
            await self._bus.publish_many(messages)
            return
        self.unconfirmed += 1
        await self._bus.publish_many([message for message in messages if message not in ours])
        await wait_until(self._listed_queued, timeout=10, message="the run listed queued")
        count = len(messages)
        raise BusUnavailable(f"{count} of {count} messages not confirmed: no publisher confirm within 5.0 s")

    async def _listed_queued(self) -> bool:
        record = await self._store.get_execution(self._execution_id)
        return record is not None and record.status == "queued"


async def test_a_run_forgotten_after_an_unconfirmed_publish_is_sent_again_and_runs_once(
    pipeline: EmbeddedSystem, caplog: pytest.LogCaptureFixture
) -> None:
    execution_id = uuid.uuid4().hex
    bus = LateConfirmBus(pipeline.bus, pipeline.store, execution_id)
    settings = pipeline.settings.model_copy(
        update={
            "maintenance_interval_s": 0.1,
            "queued_run_redispatch_s": 0.5,
            "reconcile_interval_s": 0.2,
            "reconcile_grace_s": 0.5,
        }
    )
    scheduler = SchedulerService(
        bus=cast(Bus, bus),
        store=pipeline.store,
        election=InProcessElection("leader-late-confirm"),
        definitions={BY_HAND.job_id: BY_HAND},
        settings=settings,
        scheduler_id="late-confirm",
    )
    caplog.set_level(logging.INFO, logger="services.scheduler")
    await scheduler.start()
    try:
        await scheduler.elected.wait()
        await pipeline.bus.publish(
            TriggerJob(
                producer="t",
                actor="ops",
                job_id=BY_HAND.job_id,
                execution_id=execution_id,
                kwargs={"duration_s": 0},
            )
        )

        async def ended() -> bool:
            record = await pipeline.store.get_execution(execution_id)
            return record is not None and record.status not in ("queued", "running")

        await wait_until(ended, timeout=30, message="the run whose RunJob was lost to end")
    finally:
        await scheduler.stop()
    record = await pipeline.store.get_execution(execution_id)
    assert record is not None and record.status == "success" and record.attempt == 1
    assert bus.unconfirmed == 1
    left = f"execution {execution_id} of {BY_HAND.job_id} exists (queued): left as it is"
    assert left in caplog.messages, "the redelivered command found the run recorded (the hole)"
    assert [(run.execution_id, run.attempt) for run in bus.run_jobs][:1] == [(execution_id, 1)]  # re-sent
    events, _ = await pipeline.store.list_events(EventQuery(execution_id=execution_id, limit=100))
    kinds = [event["type"] for event in events]
    assert (kinds.count("RunQueued"), kinds.count("JobStarted"), kinds.count("JobFinished")) == (1, 1, 1)
