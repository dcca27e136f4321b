"""The store suite, continued: the backfills read model (written with a batch's changes, read one by one
and by pages, newest first, filtered by active and by job), on each adapter (see `conftest_store.py`)."""

from __future__ import annotations

from domain.read_model import ReadModelChanges
from domain.records import BackfillRecord
from infrastructure.store.port import BackfillQuery
from infrastructure.store.port import Store

from . import conftest_store
from .conftest_store import at

store = conftest_store.store


def backfill(number: int, *, status: str = "running", job_id: str = "job-a") -> BackfillRecord:
    return BackfillRecord(
        backfill_id=f"bf{number:032d}",
        job_id=job_id,
        start_date="2024-01-02",
        end_date="2024-01-03",
        days=["2024-01-02", "2024-01-03"],
        max_parallel=1,
        actor="alice",
        requested_at=at(number),
        status=status,
        runs={"2024-01-02": "success"},
    )


async def test_backfills_are_written_with_a_batch_and_read_back(store: Store) -> None:
    records = [
        backfill(1, status="finished"),
        backfill(2),
        backfill(3, job_id="job-b"),
        backfill(4, status="cancelling"),
    ]
    await store.apply_changes(ReadModelChanges(backfills={record.backfill_id: record for record in records}))
    assert await store.get_backfill(records[1].backfill_id) == records[1]
    assert await store.get_backfill("bf" + "9" * 32) is None
    page, total = await store.list_backfills(BackfillQuery(limit=2))
    assert total == 4 and [record.backfill_id for record in page] == [
        records[3].backfill_id,
        records[2].backfill_id,
    ]
    active, count = await store.list_backfills(BackfillQuery(active=True))
    assert count == 3 and {record.status for record in active} == {"running", "cancelling"}
    ended, count = await store.list_backfills(BackfillQuery(active=False))
    assert count == 1 and ended == [records[0]]
    mine, count = await store.list_backfills(BackfillQuery(job_id="job-b"))
    assert count == 1 and mine == [records[2]]
    _, count = await store.list_backfills(BackfillQuery(active=True, limit=0))
    assert count == 3
    view = await store.load_view((), (), [records[0].backfill_id, "bf" + "9" * 32])
    assert view.backfills == {records[0].backfill_id: records[0]}
