"""A store briefly unavailable is waited for by every consumer; a bus away gives the delivery back."""

from __future__ import annotations

import pytest

from contracts.codec import encode
from contracts.events import WorkerHeartbeat
from infrastructure.bus import delivery
from infrastructure.bus.delivery import NotHandled
from infrastructure.bus.delivery import handle_batch
from infrastructure.bus.delivery import handle_delivery
from infrastructure.bus.port import BusUnavailable
from infrastructure.store.port import StoreUnavailable


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(delivery, "STORE_RETRY_DELAYS_S", (0.0, 0.0, 0.0))


def body() -> bytes:
    return encode(WorkerHeartbeat(producer="w", worker_id="w", capacity=1, runs=(), interval_s=1))


async def test_a_busy_store_is_retried_then_the_message_handled() -> None:
    calls = 0

    async def busy_twice(message: object) -> None:
        nonlocal calls
        calls += 1
        if calls <= 2:
            raise StoreUnavailable("database is locked")

    assert await handle_delivery(body(), busy_twice, queue="q") is None  # acknowledged, not dead-lettered
    assert calls == 3


async def test_a_store_that_stays_away_gives_the_delivery_back() -> None:
    async def locked(message: object) -> None:
        raise StoreUnavailable("database is locked")

    with pytest.raises(NotHandled):
        await handle_delivery(body(), locked, queue="q")


async def test_a_bus_away_gives_the_batch_back_instead_of_dead_lettering() -> None:
    async def away(messages: object) -> None:
        raise BusUnavailable("not connected")

    with pytest.raises(NotHandled):
        await handle_batch([body(), body()], away, queue="q")
