"""Lookups of executions asked for together are answered by one store query, each with its own answer."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import UTC
from datetime import datetime
from typing import cast

import pytest

from domain.records import ExecutionRecord
from infrastructure.store.port import Store
from infrastructure.store.port import StoreUnavailable
from services.scheduler.lookups import ExecutionLookups
from tests.waiting import wait_until

NOW = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


class CountingStore:
    """Knows the executions given; records the ids of every `get_executions` query."""

    def __init__(self, *known: str, failing: bool = False) -> None:
        self.known = {
            execution_id: ExecutionRecord(
                execution_id=execution_id,
                job_id="j",
                job_name="j",
                status="success",
                timestamp=NOW,
                updated_at=NOW,
            )
            for execution_id in known
        }
        self.failing = failing
        self.queries: list[list[str]] = []

    async def get_executions(self, execution_ids: Collection[str]) -> dict[str, ExecutionRecord]:
        self.queries.append(sorted(execution_ids))
        await asyncio.sleep(0)
        if self.failing:
            raise StoreUnavailable("store away (test double)")
        return {key: self.known[key] for key in execution_ids if key in self.known}


async def test_lookups_asked_together_share_one_query() -> None:
    store = CountingStore("e1", "e3")
    lookups = ExecutionLookups(cast(Store, store))
    answers = await asyncio.gather(*(lookups.get(f"e{n}") for n in range(1, 5)), lookups.get("e1"))
    assert [answer.execution_id if answer is not None else None for answer in answers] == [
        "e1", None, "e3", None, "e1"
    ]  # fmt: skip
    assert store.queries == [["e1", "e2", "e3", "e4"]]


async def test_a_lookup_asked_while_a_query_runs_gets_the_next_query() -> None:
    store = CountingStore("e2")
    lookups = ExecutionLookups(cast(Store, store))
    first = asyncio.create_task(lookups.get("e1"))
    await wait_until(lambda: store.queries, timeout=5, message="the first query")  # under way
    second = await lookups.get("e2")
    assert await first is None and second is not None
    assert store.queries == [["e1"], ["e2"]]


async def test_a_store_error_reaches_every_lookup_of_its_query() -> None:
    lookups = ExecutionLookups(cast(Store, CountingStore(failing=True)))
    results = await asyncio.gather(lookups.get("e1"), lookups.get("e2"), return_exceptions=True)
    assert all(isinstance(result, StoreUnavailable) for result in results)
    with pytest.raises(StoreUnavailable):
        await lookups.get("e3")
