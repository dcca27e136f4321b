"""One time precision everywhere: times with microseconds (what `datetime.now()` gives) are cut to whole
milliseconds where messages are made, so the live read models (recomputed from times as they come back from
the store), the rebuilt ones (computed from the events in memory) and both adapters agree.

Before the cut, a run started at .000600 and finished at 2.001500 s later read back from MongoDB as 2.0 s
live and 2.001 s rebuilt: `replay --verify` failed on MongoDB with microsecond inputs."""

from __future__ import annotations

import random
import uuid
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from contracts.codec import decode
from contracts.codec import encode
from contracts.envelope import Event
from contracts.envelope import Message
from contracts.envelope import to_millisecond
from contracts.envelope import utc_now
from contracts.events import CancelRequested
from contracts.events import JobFinished
from contracts.events import JobStarted
from contracts.events import RunQueued
from infrastructure.store.port import Store
from services.projector.projector import Projector
from services.projector.replay import replay
from tests.ports import conftest_store
from tests.projector import history as operating

store = conftest_store.store
T0 = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
MICROSECONDS = st.integers(min_value=0, max_value=999_999)


def _is_millisecond(moment: datetime | None) -> bool:
    return moment is None or moment.microsecond % 1000 == 0


def _moments(event: Message) -> list[Any]:
    return [getattr(event, name) for name in ("occurred_at",)]


@given(st.datetimes(timezones=st.just(UTC)), MICROSECONDS)
def test_every_message_time_is_cut_to_milliseconds_however_it_is_made(moment: datetime, extra: int) -> None:
    moment = moment.replace(microsecond=extra)
    started = JobStarted(
        producer="worker",
        occurred_at=moment,
        job_id="j",
        execution_id="x",
        job_name="j",
        worker_id="w",
        started_at=moment,
        scheduled_time=moment,
    )
    again = decode(encode(started))
    for event in (started, again):
        assert all(_is_millisecond(value) for value in _moments(event))
        assert event.occurred_at == to_millisecond(moment) <= moment
    assert _is_millisecond(utc_now())


def _run(start_us: int, length_us: int, cancel_us: int) -> list[Event]:
    """A run whose times carry microseconds, cancelled late (after it ended)."""
    ids: dict[str, Any] = {"job_id": "job-a", "execution_id": uuid.uuid4().hex}
    started = T0 + timedelta(microseconds=start_us)
    finished = started + timedelta(seconds=2, microseconds=length_us)
    return [
        RunQueued(producer="s", occurred_at=T0, **ids, job_name="a", scheduled_time=T0),
        JobStarted(
            producer="w", occurred_at=started, **ids, sequence=1, job_name="a", worker_id="w",
            started_at=started, scheduled_time=T0,
        ),
        JobFinished(
            producer="w", occurred_at=finished, **ids, sequence=2, status="success",
            started_at=started, finished_at=finished,
        ),
        CancelRequested(
            producer="api", occurred_at=finished + timedelta(microseconds=cancel_us), **ids, actor="bob"
        ),
    ]  # fmt: skip


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(MICROSECONDS, MICROSECONDS, MICROSECONDS)
async def test_live_rebuilt_and_stored_durations_agree_with_microsecond_inputs(
    store: Store, start_us: int, length_us: int, cancel_us: int
) -> None:
    events = _run(start_us, length_us, cancel_us)
    projector = Projector(store)
    # Delivered as a bus may: the end first, then everything again (a redelivery).
    await projector.on_events([events[0], events[2], events[3]])
    await projector.on_events(events)

    execution = await store.get_execution(events[0].execution_id)  # type: ignore[attr-defined]
    assert execution is not None
    started, finished = events[1].started_at, events[2].finished_at  # type: ignore[attr-defined]
    assert execution.execution_time == round((finished - started).total_seconds(), 3)
    assert _is_millisecond(execution.started_at) and _is_millisecond(execution.finished_at)
    verified = await replay(store, verify=True)
    assert verified.difference_total == 0, verified.differences


async def test_replay_verify_finds_nothing_on_a_history_with_microsecond_times(
    store: Store, monkeypatch: Any
) -> None:
    rng = random.Random(11)
    plain = operating.History.envelope

    def with_microseconds(self: operating.History, producer: str, **fields: Any) -> dict[str, Any]:
        self.now += timedelta(microseconds=rng.randint(1, 999))
        return plain(self, producer, **fields)

    monkeypatch.setattr(operating.History, "envelope", with_microseconds)
    events = operating.operating_history(seed=12, runs=60)
    assert any(event.occurred_at.microsecond % 1000 for event in events) is False
    projector = Projector(store)
    for start in range(0, len(events), 17):
        await projector.on_events(events[start : start + 17])
        await projector.on_events(events[max(0, start - 5) : start + 3])  # redeliveries

    verified = await replay(store, verify=True)
    assert verified.difference_total == 0, verified.differences
