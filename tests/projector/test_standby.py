"""A standby projector takes over on a real RabbitMQ, with nothing lost and nothing stored twice.

Two projector processes share one virtual host and one SQLite file. The projector queue is single-active-
consumer: one of them consumes, the other stands by. The test publishes the events of many executions in a
steady trickle, exactly as the scheduler and the workers do (the RabbitMQ bus adapter, `publish_many`), kills
the active projector with SIGKILL while events are still flowing (its unacknowledged deliveries, some perhaps
already in the event store, go back to the queue), publishes the rest, and then checks the result against
the pure fold of the same events: every event in the event store exactly once, every execution's read-model
record as the whole stream says. A second test hands over on a graceful stop (SIGTERM).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest

from contracts.envelope import Event
from contracts.events import JobFinished
from contracts.events import JobStarted
from contracts.events import Progress
from contracts.events import RunQueued
from contracts.topology import PROJECTOR
from domain.read_model import ReadModelView
from domain.read_model import fold_events
from domain.records import ExecutionRecord
from domain.records import ProjectorStateRecord
from infrastructure.bus.rabbitmq_bus import RabbitMQBus
from infrastructure.store.port import EventQuery
from infrastructure.store.sqlite_store import SQLiteStore
from tests.e2e.harness import ServiceProcess
from tests.projector.conftest import Cluster
from tests.rabbitmq import RabbitMQVhost
from tests.rabbitmq import rabbitmqctl
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

JOB_ID = "pipeline_canary"
FAST_STATE = {"SCHEDULER_PROJECTOR_STATE_INTERVAL_S": "0.2"}
WAIT_S = 60.0
# RabbitMQ's activity status of a single-active-consumer queue's consumers.
ACTIVE, WAITING = "single_active", "waiting"


# --- the events ------------------------------------------------------------------------------------------
def execution_stream(number: int, start: datetime, progress_reports: int) -> list[Event]:
    """One execution as the scheduler and a worker report it: queued, started, progress, success."""
    execution_id = f"standby-e{number:03d}"
    moments = (start + timedelta(milliseconds=step) for step in itertools.count())

    def envelope(producer: str, sequence: int) -> dict[str, object]:
        return {
            "message_id": f"{execution_id}-{sequence:04d}",
            "occurred_at": next(moments),
            "producer": producer,
            "job_id": JOB_ID,
            "execution_id": execution_id,
            "attempt": 1,
            "sequence": sequence,
        }

    worker = f"worker:w{number % 4}"
    queued = RunQueued(**envelope("scheduler:s1", 0), job_name="canary", scheduled_time=start)
    started = JobStarted(
        **envelope(worker, 1),
        job_name="canary",
        worker_id=worker,
        started_at=queued.occurred_at,
        scheduled_time=start,
    )
    events: list[Event] = [queued, started]
    for report in range(1, progress_reports + 1):
        events.append(
            Progress(
                **envelope(worker, report + 1),
                progress=round(99.0 * report / progress_reports, 2),
                message=f"step {report} of {progress_reports}",
                current_item=f"item-{report}",
                total_items=progress_reports,
                processed_items=report,
            )
        )
    ended = next(moments)
    events.append(
        JobFinished(
            **envelope(worker, progress_reports + 2),
            status="success",
            started_at=started.started_at,
            finished_at=ended,
            return_value={"rows": number},
        )
    )
    return events


def interleaved(streams: Sequence[Sequence[Event]]) -> list[Event]:
    """The executions run side by side: one event of each in turn, each execution's own in order."""
    rounds = itertools.zip_longest(*streams)
    return [event for events in rounds for event in events if event is not None]


def whole_milliseconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def stream_of(executions: int, progress_reports: int) -> list[Event]:
    start = whole_milliseconds(datetime.now(UTC))
    return interleaved([execution_stream(number, start, progress_reports) for number in range(executions)])


def folded(events: Sequence[Event]) -> dict[str, ExecutionRecord]:
    """What the read models must hold once every event is applied: the pure fold of the whole stream."""
    changes = fold_events(ReadModelView(), events)
    records = {key: record for key, record in changes.executions.items() if record is not None}
    assert len(records) == len(changes.executions)
    return records


# --- the system --------------------------------------------------------------------------------------------
@dataclass
class Trickle:
    """Publishes chunks of events one after another with a pause between them, as a background task.

    `sent` counts the events handed to the broker (some perhaps already delivered before their confirms
    come back), `published` those it confirmed. The last chunk waits for `release()`: events are still
    to come whenever the test acts, however slowly it gets there.
    """

    bus: RabbitMQBus
    chunks: list[list[Event]]
    pause_s: float
    sent: int = 0
    published: int = 0
    chunk_confirmed: asyncio.Condition = field(default_factory=asyncio.Condition)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        for number, chunk in enumerate(self.chunks):
            if number == len(self.chunks) - 1:
                await self.released.wait()
            self.sent += len(chunk)
            await self.bus.publish_many(chunk)  # returns once the broker confirmed every one
            async with self.chunk_confirmed:
                self.published += len(chunk)
                self.chunk_confirmed.notify_all()
            await asyncio.sleep(self.pause_s)

    def release(self) -> None:
        self.released.set()

    def holding(self) -> bool:
        """Whether every chunk but the last is confirmed (the last one waits for `release()`)."""
        before_last = sum(len(chunk) for chunk in self.chunks[:-1])
        return not self.released.is_set() and self.published == before_last

    async def next_chunk_confirmed(self) -> None:
        """Until one more chunk is confirmed, or the trickle holds its last one back."""
        async with self.chunk_confirmed:
            confirmed = self.published
            await asyncio.wait_for(
                self.chunk_confirmed.wait_for(lambda: self.published > confirmed or self.holding()), WAIT_S
            )


def chunked(events: Sequence[Event], size: int) -> list[list[Event]]:
    return [list(events[at : at + size]) for at in range(0, len(events), size)]


async def projector_consumers(vhost: RabbitMQVhost) -> list[str]:
    """The activity status of every consumer of the projector queue, sorted (`single_active`, `waiting`)."""
    listing = await rabbitmqctl(
        "list_consumers", "-p", vhost.name, "--no-table-headers", "queue_name", "activity_status"
    )
    rows = [line.split() for line in listing.splitlines() if line.strip()]
    return sorted(row[1] for row in rows if row[0] == PROJECTOR.name)


async def wait_for_consumers(vhost: RabbitMQVhost, expected: list[str], why: str) -> None:
    async def consuming() -> bool:
        return await projector_consumers(vhost) == sorted(expected)

    await wait_until(consuming, timeout=WAIT_S, interval=0.2, message=why)


async def projector_states(store: SQLiteStore) -> dict[str, ProjectorStateRecord]:
    return {state.projector_id: state for state in await store.list_projector_states()}


async def stored_message_ids(store: SQLiteStore) -> Counter[str]:
    found: Counter[str] = Counter()
    offset = 0
    while True:
        page, total = await store.list_events(EventQuery(limit=1000, offset=offset))
        found.update(str(document["message_id"]) for document in page)
        offset += len(page)
        if not page or offset >= total:
            return found


async def wait_until_applied(store: SQLiteStore, events: Sequence[Event]) -> None:
    """Wait until the read models are the fold of `events`, then check the event store holds each once."""
    expected = folded(events)

    async def as_folded() -> bool:
        return await store.get_executions(list(expected)) == expected

    with contextlib.suppress(AssertionError):  # on a time-out, the assertion below says what differs
        await wait_until(as_folded, timeout=WAIT_S, interval=0.2, message="the read models to be the fold")
    found = await store.get_executions(list(expected))
    differing = {
        execution_id: (found.get(execution_id), record)
        for execution_id, record in expected.items()
        if found.get(execution_id) != record
    }
    assert not differing, f"{len(differing)} executions not as the stream says: {differing}"
    assert all(record.status == "success" and record.progress == 100.0 for record in found.values())

    published = Counter(event.message_id for event in events)
    stored = await stored_message_ids(store)
    assert await store.count_events() == len(published) == len(events)
    assert stored.keys() == published.keys(), (
        f"lost: {sorted(published.keys() - stored.keys())[:20]}, "
        f"unknown: {sorted(stored.keys() - published.keys())[:20]}"
    )
    assert max(stored.values()) == 1, f"stored twice: {[key for key, n in stored.items() if n > 1][:20]}"


async def fresh_state(store: SQLiteStore, projector_id: str, after: datetime) -> ProjectorStateRecord:
    """The projector's state written after `after` (so it counts every batch applied before)."""
    seen: dict[str, ProjectorStateRecord] = {}

    async def written() -> bool:
        state = (await projector_states(store)).get(projector_id)
        if state is not None:
            seen["state"] = state
        return state is not None and state.updated_at > after

    await wait_until(written, timeout=WAIT_S, interval=0.1, message=f"a fresh state of {projector_id}")
    return seen["state"]


async def stored_more(store: SQLiteStore, than: int) -> bool:
    return await store.count_events() > than


async def no_dead_letters(bus: RabbitMQBus) -> None:
    letters = await bus.take_dead_letters()
    assert not letters, [(letter.reason, letter.body[:200]) for letter in letters]


async def start_pair(cluster: Cluster, vhost: RabbitMQVhost) -> dict[str, ServiceProcess]:
    """Two projectors: the first one to subscribe consumes, the other waits (checked on the broker)."""
    projectors = {
        name: cluster.start("services.projector", name, **FAST_STATE)
        for name in ("projector-a", "projector-b")
    }
    await wait_for_consumers(vhost, [ACTIVE, WAITING], "one projector consuming and one standing by")
    return projectors


@pytest.fixture
async def publisher(fresh_rabbitmq_vhost: RabbitMQVhost) -> AsyncIterator[RabbitMQBus]:
    """The bus adapter the scheduler and the workers publish with, on the test's virtual host."""
    bus = RabbitMQBus(fresh_rabbitmq_vhost.url, connection_name="test-publisher")
    await bus.start()  # declares the topology: the projector queue and its binding to the events exchange
    try:
        yield bus
    finally:
        await bus.close()


# --- the tests ---------------------------------------------------------------------------------------------
@pytest.mark.timeout(120)
async def test_the_standby_takes_over_from_a_killed_projector_with_nothing_lost_or_doubled(
    cluster: Cluster, store: SQLiteStore, fresh_rabbitmq_vhost: RabbitMQVhost, publisher: RabbitMQBus
) -> None:
    events = stream_of(executions=40, progress_reports=60)  # 2,520 events
    projectors = await start_pair(cluster, fresh_rabbitmq_vhost)
    trickle = Trickle(publisher, chunked(events, 40), pause_s=0.08)
    publishing = asyncio.create_task(trickle.run(), name="trickle")
    try:
        active_name = ""

        async def one_applied() -> bool:
            nonlocal active_name
            applied = [name for name, state in (await projector_states(store)).items() if state.applied]
            assert len(applied) <= 1, f"more than one projector applied events: {applied}"
            active_name = applied[0] if applied else ""
            return bool(applied) and trickle.published >= len(events) // 3

        await wait_until(one_applied, timeout=WAIT_S, interval=0.05, message="a projector to apply events")
        (standby_name,) = set(projectors) - {active_name}
        standby_before = (await projector_states(store)).get(standby_name)
        # Kill while a batch is in flight: right after a chunk is confirmed (its events are on their way
        # to the active projector) and, most often, just after it appended some to the event store but
        # before it applied and acknowledged them (the survivor then gets them again: its duplicates).
        await trickle.next_chunk_confirmed()
        stored_before = await store.count_events()
        await wait_until(lambda: stored_more(store, stored_before), timeout=WAIT_S, interval=0.001)
        projectors[active_name].kill()
        # Counted as handed to the broker, not as confirmed: a chunk whose confirms had not come back yet
        # may have reached the killed projector, which may have stored and acknowledged some of it.
        sent_before_kill, confirmed_before_kill = trickle.sent, trickle.published
        killed_at = datetime.now(UTC)
        assert not publishing.done(), "events must still be flowing when the active projector dies"
        trickle.release()
        await publishing
    finally:
        trickle.release()
        publishing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await publishing
    assert projectors[active_name].popen.returncode == -9
    await wait_for_consumers(fresh_rabbitmq_vhost, [ACTIVE], "the standby to become the active consumer")

    await wait_until_applied(store, events)
    applied_at = datetime.now(UTC)
    survivor = await fresh_state(store, standby_name, after=applied_at)
    killed = (await projector_states(store))[active_name]
    await no_dead_letters(publisher)

    assert standby_before is None or standby_before.applied == 0, f"the standby applied: {standby_before}"
    # The survivor took over: every event sent after the kill went through it (and whatever the killed
    # one had received but not acknowledged, some of it perhaps already stored: its duplicates).
    after_kill = len(events) - sent_before_kill
    assert survivor.applied >= after_kill > 0, (survivor, after_kill)
    assert survivor.stored >= after_kill, survivor
    assert survivor.applied == survivor.stored + survivor.duplicates, survivor
    assert killed.stored + survivor.stored <= len(events), (killed, survivor)
    assert survivor.updated_at > killed_at
    print(
        f"\n{active_name} killed after {sent_before_kill} of {len(events)} events sent "
        f"({confirmed_before_kill} confirmed) "
        f"(its last state: applied {killed.applied}, stored {killed.stored}); {standby_name} took over: "
        f"applied {survivor.applied}, stored {survivor.stored}, duplicates {survivor.duplicates}"
    )


@pytest.mark.timeout(120)
async def test_a_graceful_stop_of_the_active_projector_hands_over_to_the_idle_standby(
    cluster: Cluster, store: SQLiteStore, fresh_rabbitmq_vhost: RabbitMQVhost, publisher: RabbitMQBus
) -> None:
    streams = [
        execution_stream(number, whole_milliseconds(datetime.now(UTC)), progress_reports=4)
        for number in range(10)
    ]
    first = interleaved([stream[:3] for stream in streams])  # queued, started, first progress
    rest = interleaved([stream[3:] for stream in streams])
    projectors = await start_pair(cluster, fresh_rabbitmq_vhost)
    await publisher.publish_many(first)

    async def first_applied() -> bool:
        states = await projector_states(store)
        return sum(state.applied for state in states.values()) == len(first)

    await wait_until(first_applied, timeout=WAIT_S, interval=0.05, message="the first events to be applied")
    (active_name,) = (await projector_states(store)).keys()
    (standby_name,) = set(projectors) - {active_name}
    projectors[active_name].stop()  # SIGTERM, with nothing in flight: the standby is idle too
    assert projectors[active_name].popen.returncode == 0, projectors[active_name].output()[-3000:]
    await wait_for_consumers(fresh_rabbitmq_vhost, [ACTIVE], "the standby to become the active consumer")
    stopped = (await projector_states(store))[active_name]  # written as it stopped: final
    await publisher.publish_many(rest)

    await wait_until_applied(store, [*first, *rest])
    survivor = await fresh_state(store, standby_name, after=datetime.now(UTC))
    await no_dead_letters(publisher)
    assert (stopped.applied, stopped.stored, stopped.duplicates) == (len(first), len(first), 0), stopped
    # Nothing was in flight when the active one stopped: the standby got exactly what followed, once.
    assert (survivor.applied, survivor.stored, survivor.duplicates) == (len(rest), len(rest), 0), survivor
