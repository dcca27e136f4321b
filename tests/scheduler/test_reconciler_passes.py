"""The leader's reconciliation passes: one store query per pass at most, every status in turn, a long list
covered page by page over several passes."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import cast

from domain.records import ExecutionRecord
from infrastructure.bus.memory_bus import InMemoryBus
from infrastructure.store.claims_port import LocalRunClaims
from infrastructure.store.port import ExecutionQuery
from services.scheduler.desk import Desk
from services.scheduler.desk import SchedulerReads
from services.scheduler.reconciliation import Reconciler
from services.scheduler.settings import SchedulerSettings

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


class ListedExecutions:
    """A read model of executions listed newest first, its queries recorded."""

    def __init__(self, records: list[ExecutionRecord]) -> None:
        self.records = records
        self.queries: list[ExecutionQuery] = []

    async def list_executions(self, query: ExecutionQuery) -> tuple[list[ExecutionRecord], int]:
        self.queries.append(query)
        matching = [record for record in self.records if record.status == query.status]
        matching.sort(key=lambda record: record.timestamp, reverse=True)
        return matching[query.offset : query.offset + query.limit], len(matching)


def queued(n: int) -> ExecutionRecord:
    at = T0 - timedelta(minutes=n)
    return ExecutionRecord(
        execution_id=f"q{n}", job_id="j", job_name="j", status="queued", timestamp=at, updated_at=at
    )


async def test_passes_read_one_page_of_one_status_each_and_cover_a_long_list() -> None:
    store = ListedExecutions([queued(n) for n in range(5)])
    mono = [0.0]
    desk = Desk(
        bus=InMemoryBus(),
        store=cast(SchedulerReads, store),
        claims=LocalRunClaims(),
        definitions={},
        settings=SchedulerSettings(reconcile_interval_s=10, reconcile_grace_s=5, reconcile_page=2),
        producer="scheduler:test",
        wall=lambda: T0,
        mono=lambda: mono[0],
    )
    reconciler = Reconciler(desk)
    await reconciler.run_once()  # just took office (everything loaded): the first pass one interval later
    mono[0] = 9.0
    await reconciler.run_once()
    assert store.queries == []
    for _ in range(9):  # three turns of (queued, running, scheduled)
        mono[0] += 10.0
        await reconciler.run_once()
        await reconciler.run_once()  # not due again yet
    assert [(query.status, query.offset, query.limit) for query in store.queries] == [
        *(("queued", 0, 2), ("running", 0, 2), ("scheduled", 0, 2)),
        *(("queued", 2, 2), ("running", 0, 2), ("scheduled", 0, 2)),
        *(("queued", 4, 2), ("running", 0, 2), ("scheduled", 0, 2)),
    ]
    assert sorted(desk.state.runs) == ["q1", "q2", "q3", "q4"]  # q0 changed within the grace: not yet
    mono[0] += 10.0
    await reconciler.run_once()
    assert store.queries[-1].offset == 0  # the end reached: from the newest again
