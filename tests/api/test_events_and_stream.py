"""The event log (`GET /events`) and the live stream (`GET /stream`, Server-Sent Events)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest

from contracts.codec import to_document
from contracts.events import JobPaused
from contracts.events import JobResumed
from contracts.events import Progress
from contracts.events import SchedulerHeartbeat
from infrastructure.bus.memory_bus import InMemoryBus
from infrastructure.bus.port import BusUnavailable
from infrastructure.store.sqlite_store import SQLiteStore
from services.api.metrics import ApiMetrics
from services.api.stream import EventStreamHub
from services.api.stream import StreamClient
from services.api.stream import StreamFilter
from tests.api import seed
from tests.api.conftest import ADMIN
from tests.api.conftest import AppFactory
from tests.api.conftest import app_of
from tests.api.conftest import bearer
from tests.api.envelope import error
from tests.api.envelope import ok
from tests.api.fakes import RecordingBus
from tests.api.sse import SSEConnection
from tests.waiting import wait_until

STREAM = "/api/scheduler/stream"


def paused(job_id: str, minutes: int, actor: str = ADMIN) -> JobPaused:
    return JobPaused(
        job_id=job_id, actor=actor, producer="scheduler", occurred_at=seed.T0 + timedelta(minutes=minutes)
    )


@pytest.fixture
async def log(store: SQLiteStore) -> None:
    events = [
        paused("quotes", 0),
        JobResumed(
            job_id="quotes", actor="bob", producer="scheduler", occurred_at=seed.T0 + timedelta(minutes=1)
        ),
        paused("news", 2),
        Progress(
            job_id="news",
            execution_id="e-news",
            progress=50,
            producer="worker",
            sequence=1,
            occurred_at=seed.T0 + timedelta(minutes=3),
        ),
    ]
    for event in events:
        await store.append_event(to_document(event))


ALL = [("JobPaused", "quotes"), ("JobResumed", "quotes"), ("JobPaused", "news"), ("Progress", "news")]


def types(page: dict[str, list[dict[str, str]]]) -> list[tuple[str, str]]:
    return [(item["type"], item["job_id"]) for item in page["items"]]


@pytest.mark.usefixtures("log")
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ALL),
        ({"job_id": "quotes"}, [("JobPaused", "quotes"), ("JobResumed", "quotes")]),
        ({"type": "JobPaused"}, [("JobPaused", "quotes"), ("JobPaused", "news")]),
        ({"actor": "bob"}, [("JobResumed", "quotes")]),
        ({"execution_id": "e-news"}, [("Progress", "news")]),
        (
            {"since": "2025-01-06T09:31:00+08:00"},
            [("JobResumed", "quotes"), ("JobPaused", "news"), ("Progress", "news")],
        ),
        (
            {"since": "2025-01-06T09:31:00", "until": "2025-01-06T09:33:00"},
            [("JobResumed", "quotes"), ("JobPaused", "news")],
        ),
        ({"until": "2025-01-06T01:31:00Z"}, [("JobPaused", "quotes")]),
        ({"limit": 1, "offset": 2}, [("JobPaused", "news")]),
        ({"since": "2025-01-06T09:33:00+08:00", "until": "2025-01-06T09:31:00+08:00"}, []),
        ({"since": "0001-01-01T00:00:00+14:00", "until": "9999-12-31T23:59:59-14:00"}, ALL),
    ],
)
async def test_event_log_filters(
    client: httpx.AsyncClient,
    viewer: dict[str, str],
    params: dict[str, Any],
    expected: list[tuple[str, str]],
) -> None:
    page = ok(await client.get("/api/scheduler/events", params=params, headers=viewer))
    assert types(page) == expected
    assert all(item["occurred_at"].endswith("+08:00") for item in page["items"])


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"type": "NoSuchEvent"}, "type"),
        ({"since": "yesterday"}, "since"),
        ({"since": "1736000000"}, "since"),
        ({"limit": 501}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
async def test_event_log_bad_parameters(
    client: httpx.AsyncClient, viewer: dict[str, str], params: dict[str, Any], name: str
) -> None:
    assert name in error(await client.get("/api/scheduler/events", params=params, headers=viewer), 422)


async def test_stream_delivers_published_events(client: httpx.AsyncClient, bus: RecordingBus) -> None:
    assert bus.subscriptions == []  # nobody watches: the API receives no events
    token = bearer("victor")["Authorization"].removeprefix("Bearer ")
    async with SSEConnection(app_of(client), STREAM, params={"access_token": token}, headers={}) as sse:
        assert sse.status == 200 and sse.headers["content-type"].startswith("text/event-stream")
        hello = await sse.next_event()
        assert hello is not None and hello[""] == "connected" and hello["retry"] == "3000"
        [subscription] = bus.subscriptions
        assert subscription.queue.exclusive and subscription.queue.binding_keys == ("#",)
        event = paused("quotes", 0)
        await bus.deliver(event)
        received = await sse.next_event()
        assert received is not None
        assert received["event"] == "JobPaused" and received["id"] == event.message_id
        data = json.loads(received["data"])
        assert data["job_id"] == "quotes" and data["occurred_at"] == "2025-01-06T09:30:00+08:00"
    hub = app_of(client).state.api.stream
    await wait_until(lambda: hub.client_count == 0, message="client gone after disconnect")


async def test_stream_filters(client: httpx.AsyncClient, bus: RecordingBus, viewer: dict[str, str]) -> None:
    params = {"job_id": "news", "type": ["JobPaused", "JobResumed"]}
    async with SSEConnection(app_of(client), STREAM, params=params, headers=viewer) as sse:
        await sse.next_event()
        await bus.deliver(paused("quotes", 0))
        await bus.deliver(Progress(job_id="news", execution_id="x", progress=1, producer="worker"))
        wanted = paused("news", 1)
        await bus.deliver(wanted)
        received = await sse.next_event()
        assert received is not None and received["id"] == wanted.message_id


async def test_stream_ends_when_the_hub_stops(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    async with SSEConnection(app_of(client), STREAM, headers=viewer) as sse:
        await sse.next_event()
        await app_of(client).state.api.stream.stop()
        assert await sse.next_event() is None


@pytest.mark.parametrize(
    ("params", "headers", "status"),
    [
        ({}, {}, 401),
        ({"access_token": "nonsense"}, {}, 401),
        ({"type": "Bogus"}, bearer("victor"), 422),
    ],
)
async def test_stream_refusals(
    client: httpx.AsyncClient, params: dict[str, str], headers: dict[str, str], status: int
) -> None:
    async with SSEConnection(app_of(client), STREAM, params=params, headers=headers) as sse:
        assert sse.status == status
        assert json.loads(await sse.body())["detail"]


async def test_stream_over_the_in_memory_bus(make_client: AppFactory, viewer: dict[str, str]) -> None:
    bus = InMemoryBus()
    await bus.start()
    try:
        async with (
            make_client(bus) as client,
            SSEConnection(app_of(client), STREAM, headers=viewer) as sse,
        ):
            await sse.next_event()
            heartbeat = SchedulerHeartbeat(
                scheduler_id="s1", state=1, total_jobs=1, paused_jobs=0, interval_s=5, producer="scheduler"
            )
            await bus.publish(heartbeat)
            received = await sse.next_event()
            assert received is not None and received["event"] == "SchedulerHeartbeat"
    finally:
        await bus.close()


def test_a_slow_client_overflows_instead_of_blocking() -> None:
    client = StreamClient(StreamFilter(), buffer=2)
    events = [paused("quotes", minute) for minute in range(3)]
    assert client.offer(events[0]) and client.offer(events[1])
    assert client.offer(events[2]) is False and client.overflowed
    assert client.offer(events[0]) is True  # ignored from now on, never raises


async def test_hub_drops_overflowing_clients(client: httpx.AsyncClient, bus: RecordingBus) -> None:
    hub = app_of(client).state.api.stream
    await hub.subscribe_for_client()
    with hub.connect(StreamFilter()) as slow:
        for minute in range(1001):
            await bus.deliver(paused("quotes", minute))
        assert slow.overflowed
        received = [message async for message in slow.messages()]
        assert len(received) < 1001
    metrics = app_of(client).state.api.metrics.render().decode()
    assert "scheduler_api_stream_clients_dropped_total 1.0" in metrics


def lingering_tasks() -> list[asyncio.Task[Any]]:
    """The hub's pending "stream linger" tasks (each would unsubscribe once its linger ends)."""
    return [task for task in asyncio.all_tasks() if task.get_name() == "stream linger" and not task.done()]


async def test_the_subscription_lives_only_while_clients_watch() -> None:
    bus = RecordingBus()
    hub = EventStreamHub(bus, ApiMetrics(), client_buffer=10, linger_s=0.05)
    await hub.start()
    assert bus.subscriptions == [] and not hub.running
    await hub.subscribe_for_client()
    with hub.connect(StreamFilter()) as first:
        await hub.subscribe_for_client()  # a second client shares the one subscription
        with hub.connect(StreamFilter()):
            assert len(bus.subscriptions) == 1
        # One client left: no unsubscription is pending (any linger started has played out), still subscribed.
        await wait_until(lambda: not lingering_tasks(), message="no linger pending")
        assert hub.running and len(bus.subscriptions) == 1
        await bus.deliver(paused("quotes", 0))
        received = await anext(first.messages())
        assert received.type == "JobPaused"
    await wait_until(lambda: not hub.running and bus.subscriptions == [], message="unsubscribed")
    await hub.stop()
    with pytest.raises(BusUnavailable):
        await hub.subscribe_for_client()


async def test_a_subscription_without_its_client_is_cancelled() -> None:
    """A request refused after its subscription was made (e.g. a bad parameter) leaves nothing behind."""
    bus = RecordingBus()
    hub = EventStreamHub(bus, ApiMetrics(), client_buffer=10, linger_s=0.05)
    await hub.start()
    await hub.subscribe_for_client()
    assert len(bus.subscriptions) == 1
    await wait_until(lambda: bus.subscriptions == [], message="unsubscribed")


async def test_the_stream_answers_503_when_the_bus_cannot_subscribe(
    client: httpx.AsyncClient, bus: RecordingBus, viewer: dict[str, str]
) -> None:
    bus.connected = False
    async with SSEConnection(app_of(client), STREAM, headers=viewer) as sse:
        assert sse.status == 503
