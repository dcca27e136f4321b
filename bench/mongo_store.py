"""The MongoDB store on the in-process emulation: append throughput per batch size, and the cost of a list
page's total with counters against counting the collection.

    .venv/bin/python -m bench.mongo_store [--executions 1000000] [--events 20000]

What the emulation can show and what it cannot: it runs every operation in this process, with no network
and no indexes (each `find` scans and sorts in Python). So the append figures are the store's own code per
event and per batch (what a round trip would add on a real server is one network latency per batch), and
the page figures include a full scan that a server's index walk does not have. A list *total* is read
from the counters collection, whose size depends on the number of (job, status, manual) groups, not on
the number of executions: that part is measured at the full size by filling the counters as a million
executions would, and compared with `count_documents` over a real (smaller) collection.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Awaitable
from collections.abc import Callable
from typing import Any

from bench.workload import execution_records
from infrastructure.store import mongo_counts
from infrastructure.store.mongo_counts import counts_collection
from infrastructure.store.mongo_events import stored_form
from infrastructure.store.mongo_store import MongoStore
from infrastructure.store.port import ExecutionQuery
from infrastructure.store.port import ReadModelChanges
from infrastructure.store.read_model_names import LIVE
from tests.mongo_emulation import emulated_client
from tests.ports.conftest_store import event_document

QUERIES = [
    ExecutionQuery(limit=20),
    ExecutionQuery(job_id="baostock_historical_sync", limit=50),
    ExecutionQuery(status="failed", limit=50),
    ExecutionQuery(job_id="baostock_historical_sync", status="success", is_manual=False, limit=100),
]


async def _timed(operation: Callable[[], Awaitable[Any]], repetitions: int) -> float:
    """Median milliseconds of `operation`."""
    samples = []
    for _ in range(repetitions):
        started = time.perf_counter()
        await operation()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def append_throughput(events: int) -> None:
    documents = [event_document(f"m-{n}", seconds=n / 1000) for n in range(events)]
    started = time.perf_counter()
    for document in documents:
        stored_form(document)
    own = (time.perf_counter() - started) / events * 1e6
    print(f"the store's own checks and encoding per event (no I/O): {own:.1f} µs")
    print(f"append, emulation, {events} events per batch size (events/s; mongomock checks unique indexes")
    print("  by scanning the collection, so these fall as it grows):")
    for batch_size in (1, 10, 100, 1000):
        store = MongoStore(emulated_client(), "bench")
        await store.open()
        started = time.perf_counter()
        for start in range(0, events, batch_size):
            await store.append_events(documents[start : start + batch_size])
        seconds = time.perf_counter() - started
        assert await store.count_events() == events
        print(f"  batch {batch_size:>5}: {events / seconds:>9,.0f} events/s")


async def totals_at(executions: int) -> None:
    """Counters as `executions` executions leave them (groups from the bench's generator), then the time
    of each list query's total."""
    store = MongoStore(emulated_client(), "bench")
    await store.open()
    sample = 20_000
    groups: Counter[mongo_counts.Group] = Counter(
        mongo_counts.group_of("executions", vars(record)) for record in execution_records(sample, seed=1)
    )
    scaled = Counter({group: count * executions // sample for group, count in groups.items()})
    await mongo_counts.write_deltas(store._database, counts_collection(LIVE), scaled, None)
    print(f"list totals from counters standing for {executions:,} executions ({len(groups)} groups):")
    for query in QUERIES:
        counted = {
            name: value
            for name, value in (
                ("job_id", query.job_id),
                ("status", query.status),
                ("is_manual", query.is_manual),
            )
            if value is not None
        }
        milliseconds = await _timed(lambda: store._total("executions", counted), 50)  # noqa: B023
        total = await store._total("executions", counted)
        print(f"  {counted or 'no filter'}: total {total:,} in {milliseconds:.3f} ms")


async def pages_at(executions: int) -> None:
    """Whole list requests (page and total) and `count_documents` on an emulated collection of this size."""
    store = MongoStore(emulated_client(), "bench")
    await store.open()
    batch: dict[str, Any] = {}
    for record in execution_records(executions, seed=1):
        batch[record.execution_id] = record
        if len(batch) == 5000:
            await store.apply_changes(ReadModelChanges(executions=batch))
            batch = {}
    await store.apply_changes(ReadModelChanges(executions=batch))
    collection = store._database["scheduler_executions"]
    print(f"list requests on {executions:,} emulated executions (the page scans: no index in the emulation):")
    for query in QUERIES:
        page = await _timed(lambda: store.list_executions(query), 3)  # noqa: B023
        filters = {name: getattr(query, name) for name in ("job_id", "status") if getattr(query, name)}
        counted = await _timed(lambda: collection.count_documents(filters), 5)  # noqa: B023
        total = await _timed(lambda: store._total("executions", filters), 5)  # noqa: B023
        print(f"  {filters or 'no filter'}: page+total {page:.1f} ms; total {total:.3f} ms with counters, "
              f"{counted:.1f} ms counting")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--executions", type=int, default=1_000_000)
    parser.add_argument("--scanned", type=int, default=10_000, help="executions stored for the page figures")
    parser.add_argument("--events", type=int, default=2_000)
    arguments = parser.parse_args()
    asyncio.run(append_throughput(arguments.events))
    asyncio.run(totals_at(arguments.executions))
    asyncio.run(pages_at(arguments.scanned))


if __name__ == "__main__":
    main()
