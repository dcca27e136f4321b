"""The broker stops while the projector is half-way through a batch: nothing lost, nothing applied twice.

The batch's handler is held until the broker is stopped, so the batch is stored and applied while its
channel is gone: its acknowledgement cannot be sent (and no delivery tag of the dead channel is used on the
new one). After the broker returns the subscription consumes again, the batch is redelivered and applied
idempotently, and every event is in the event store exactly once, the read models being the stream's fold.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest

from contracts.envelope import Message
from contracts.topology import PROJECTOR
from infrastructure.bus.rabbitmq_bus import RabbitMQBus
from infrastructure.store.sqlite_store import SQLiteStore
from services.projector.projector import Projector
from tests.private_rabbitmq import PrivateBroker
from tests.projector.test_standby import no_dead_letters
from tests.projector.test_standby import stream_of
from tests.projector.test_standby import wait_until_applied
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


async def test_an_outage_during_a_projector_batch_loses_and_doubles_nothing(
    outage_broker: PrivateBroker, outage_vhost: str, tmp_path: Path
) -> None:
    events = stream_of(executions=40, progress_reports=5)
    publisher = RabbitMQBus(outage_vhost, connection_name="test-publisher")
    await publisher.start()
    await publisher.publish_many(events)
    await publisher.close()

    store = SQLiteStore(tmp_path / "scheduler.sqlite3")
    await store.open()
    projector = Projector(store)
    consumer = RabbitMQBus(outage_vhost, connection_name="test-projector", reconnect_interval=0.5)
    await consumer.start()
    in_batch, release = asyncio.Event(), asyncio.Event()
    batches = 0

    async def held_first(messages: Sequence[Message]) -> None:
        nonlocal batches
        batches += 1
        if batches == 1:
            in_batch.set()
            await release.wait()
        await projector.on_events(messages)

    try:
        await consumer.consume_batches(PROJECTOR, held_first, max_batch=64, prefetch=128)
        await asyncio.wait_for(in_batch.wait(), 30)
        await outage_broker.stop_app()
        await wait_until(
            lambda: consumer.unreachable_since is not None, timeout=30, message="the consumer saw the outage"
        )
        release.set()  # stored and applied now; its channel is gone, so its ack cannot be sent
        await outage_broker.start_app(outage_vhost.rsplit("/", 1)[-1])
        await outage_broker.settled()
        await wait_until_applied(store, events)
        assert batches > 2, "the subscription consumed again after the reconnection"
        await wait_until(
            lambda: consumer.unreachable_since is None, timeout=30, message="the consumer saw the broker back"
        )
        await no_dead_letters(consumer)
    finally:
        release.set()
        await consumer.close()
        await store.close()
