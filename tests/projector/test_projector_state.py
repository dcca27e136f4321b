"""What the projector reports (its state record, read by the API's health, and its metrics): events applied
and stored, redeliveries, poison messages dead-lettered with their reason while it keeps going, and the
projection lag. On the in-memory bus and a real RabbitMQ."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from prometheus_client import generate_latest

from contracts.topology import EVENTS_EXCHANGE
from contracts.topology import PROJECTOR
from infrastructure.store.sqlite_store import SQLiteStore
from services.projector.projector import Projector
from services.projector.stats import metrics_registry
from tests.ports.conftest import BusMaker
from tests.ports.conftest import bus_maker
from tests.projector.history import operating_history
from tests.waiting import wait_until

__all__ = ["bus_maker"]


async def test_poison_messages_are_dead_lettered_counted_and_the_projector_goes_on(
    bus_maker: BusMaker, tmp_path: Path
) -> None:
    bus = await bus_maker()
    store = SQLiteStore(tmp_path / "scheduler.sqlite3")
    await store.open()
    projector = Projector(store, projector_id="projector:p1")
    try:
        await bus.consume_batches(PROJECTOR, projector.on_events, max_batch=16)
        events = operating_history(seed=21, runs=10)
        first, rest = events[:5], events[5:]
        await bus.publish_many(first)
        invalid = {"type": "JobStarted", "version": 1, "producer": "x", "job_id": "j"}  # fields missing
        await bus.publish_raw(EVENTS_EXCHANGE, "JobStarted", json.dumps(invalid).encode())
        await bus.publish_raw(EVENTS_EXCHANGE, "JobStarted", b"\xff not json")
        await bus.publish_many(rest)
        await bus.publish(events[7])  # a redelivery, as RabbitMQ may make after a lost acknowledgement

        async def all_applied() -> bool:
            return projector.stats.applied == len(events) + 1

        await wait_until(all_applied, timeout=20, message="the projector went on after the poison")
        letters = []

        async def both_dead_lettered() -> bool:
            letters.extend(await bus.take_dead_letters())
            return len(letters) >= 2

        await wait_until(both_dead_lettered, timeout=20)
        assert {letter.original_queue for letter in letters} == {PROJECTOR.name}
        assert any("invalid JobStarted v1" in letter.reason for letter in letters)

        await projector.report_state()
        (state,) = await store.list_projector_states()
        assert state.projector_id == "projector:p1"
        assert state.dead_lettered == 2
        assert (state.applied, state.stored, state.duplicates) == (len(events) + 1, len(events), 1)
        assert state.last_applied_at is not None and state.lag_s >= 0
        assert await store.count_events() == len(events)

        metrics = generate_latest(metrics_registry(projector.stats)).decode()
        assert "scheduler_projector_events_dead_lettered_total 2.0" in metrics
        assert f"scheduler_projector_events_applied_total {len(events) + 1}.0" in metrics
    finally:
        await store.close()


async def test_projection_lag_is_measured_from_occurred_at_to_applied(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "scheduler.sqlite3")
    await store.open()
    events = operating_history(seed=22, runs=3)
    applied_at = events[-1].occurred_at + timedelta(seconds=42)
    projector = Projector(store, projector_id="projector:p1", clock=lambda: applied_at)
    try:
        assert await store.projector_lag_s() is None, "no projector has reported yet"
        await projector.on_events(events)
        (state,) = await store.list_projector_states()
        assert state.last_batch_lag_s == 42.0 and state.lag_s == 42.0
        oldest = (applied_at - events[0].occurred_at).total_seconds()
        assert state.max_lag_s == round(oldest, 3)
        # Its last report is days old (the history's clock): the lag it reported, plus its silence since.
        lag = await store.projector_lag_s()
        assert lag is not None and lag > 42.0 + 24 * 3600
    finally:
        await store.close()
