"""The operators' alert events as the API appends them to the event log (a real SQLite file), followed by the
alerter: a silence keeps a job from the channels (not from the incidents), a rule change applies, an
acknowledgement stops reminders, a channel test goes out once and is answered; a rebuilt alerter hands
nothing over twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from contracts.alert_events import AlertChannelTestRequested
from contracts.alert_events import AlertRulesUpdated
from contracts.alert_events import AlertSilenced
from contracts.alert_events import IncidentAcknowledged
from contracts.alert_events import RuleOverride
from contracts.codec import to_document
from contracts.envelope import Event
from domain.alert_decisions import reminders_due
from infrastructure.store.sqlite_store import SQLiteStore
from tests.alerter.harness import ManualClock
from tests.alerter.harness import started_alerter
from tests.alerter.receivers import HttpReceiver
from tests.domain.alert_streams import JOB
from tests.domain.alert_streams import at
from tests.domain.alert_streams import finished
from tests.domain.alert_streams import registered
from tests.waiting import wait_until

pytestmark = pytest.mark.timeout(60)
API = {"producer": "api:test", "actor": "admin"}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    sqlite = SQLiteStore(tmp_path / "scheduler.sqlite3")
    await sqlite.open()
    try:
        yield sqlite
    finally:
        await sqlite.close()


async def append(store: SQLiteStore, *events: Event) -> None:
    await store.append_events([to_document(event) for event in events])


def hook(receiver: HttpReceiver) -> str:
    return f"json://{receiver.base.removeprefix('http://')}/hook"


async def test_a_silence_from_the_log_keeps_the_job_from_the_channels_only(
    store: SQLiteStore, receiver: HttpReceiver
) -> None:
    clock = ManualClock(at(5))
    alerter, bus = await started_alerter([hook(receiver)], clock)
    try:
        await alerter.rebuild(store)
        silence = AlertSilenced(**API, occurred_at=at(5), silence_id="s1", job_id=JOB, until=at(3600),
                                reason="维护窗口")  # fmt: skip
        await append(store, silence)
        assert alerter.feed is not None and await alerter.feed.poll() == 1
        for event in (registered(), registered("other", name="其他"), finished("failed", 10),
                      finished("failed", 11, job_id="other")):  # fmt: skip
            await alerter.on_event(event)
        await wait_until(lambda: len(bus.notified()) == 1, message="the grouped message")
        [notified] = bus.notified()
        assert notified.incident_ids == (alerter.state.open["run_failed", "other"].incident_id,)
        assert ("run_failed", JOB) in alerter.state.open, "silenced, still an incident"
        assert "其他" in receiver.calls[0].body["message"]
        assert "流水线自检" not in receiver.calls[0].body["message"]
        assert await alerter.feed.poll() == 0, "handled once"
    finally:
        await alerter.notifier.stop()


async def test_rule_changes_and_acknowledgements_from_the_log(store: SQLiteStore) -> None:
    clock = ManualClock(at(5))
    alerter, _ = await started_alerter([], clock, reminder_interval_s=600)
    await alerter.rebuild(store)
    assert alerter.feed is not None
    override = RuleOverride(run_failed=False, consecutive_failures=2)
    await append(store, AlertRulesUpdated(**API, job_id=JOB, rules=override))
    await alerter.feed.poll()
    await alerter.on_event(registered())
    await alerter.on_event(finished("failed", 10))
    assert alerter.state.open == {}, "run_failed turned off for this job"
    await alerter.on_event(finished("failed", 20))
    incident = alerter.state.open["consecutive_failures", JOB]
    clock.now = at(20 + 600)
    assert reminders_due(alerter.state, clock.now, 600) == [incident]
    await append(store, IncidentAcknowledged(**API, incident_id=incident.incident_id, note="在处理"))
    await alerter.feed.poll()
    assert incident.acknowledged_by == "admin"
    assert reminders_due(alerter.state, clock.now, 600) == []


async def test_a_channel_test_is_sent_answered_and_never_sent_again_after_a_rebuild(
    store: SQLiteStore, receiver: HttpReceiver
) -> None:
    alerter, bus = await started_alerter([hook(receiver)], ManualClock(at(5)), language="en")
    try:
        await alerter.rebuild(store)
        assert alerter.feed is not None
        await append(
            store,
            AlertChannelTestRequested(**API, test_id="t1", channel=0),
            AlertChannelTestRequested(**API, test_id="t2", channel=5),
        )
        assert await alerter.feed.poll() == 2
        await wait_until(lambda: len(bus.notified()) == 2, message="both answered")
        answers = {n.test_id: n for n in bus.notified()}
        assert (answers["t1"].outcome, answers["t1"].channel_type, answers["t1"].notice) == (
            "sent",
            "json",
            "test",
        )
        assert (answers["t2"].outcome, answers["t2"].error) == ("failed", "no channel number 5: 1 configured")
        [call] = receiver.calls
        assert call.body["title"] == "[TEST] alert channel test"
        assert "http://127.0.0.1:8000/#alerts" in call.body["message"]
        await append(store, *bus.notified())
    finally:
        await alerter.notifier.stop()
    again, again_bus = await started_alerter([hook(receiver)], ManualClock(at(5) + timedelta(hours=1)))
    try:
        await again.rebuild(store)
        assert again.feed is not None and await again.feed.poll() == 0
        assert again_bus.published == [] and len(receiver.calls) == 1
    finally:
        await again.notifier.stop()


async def test_a_channel_test_asked_for_while_the_alerter_was_starting_is_still_sent(
    store: SQLiteStore, receiver: HttpReceiver
) -> None:
    await append(store, AlertChannelTestRequested(**API, occurred_at=at(0), test_id="t1", channel=0))
    alerter, bus = await started_alerter([hook(receiver)], ManualClock(at(10)))
    try:
        await alerter.rebuild(store)
        await wait_until(lambda: [n.test_id for n in bus.notified()] == ["t1"], message="answered")
        assert len(receiver.calls) == 1
    finally:
        await alerter.notifier.stop()
