"""The alerter's state rebuilt from the event log (a real SQLite file): a new alerter folding the stored
events (runs and the first alerter's alerts) has the same open incidents, counts and notification times, and
decides nothing twice."""

from __future__ import annotations

from pathlib import Path

from contracts.codec import to_document
from contracts.envelope import Event
from infrastructure.store.sqlite_store import SQLiteStore
from tests.alerter.harness import ManualClock
from tests.alerter.harness import started_alerter
from tests.alerter.receivers import HttpReceiver
from tests.domain.alert_streams import at
from tests.domain.alert_streams import finished
from tests.domain.alert_streams import registered
from tests.waiting import wait_until


async def test_a_new_alerter_rebuilds_the_state_from_the_event_store(
    tmp_path: Path, receiver: HttpReceiver
) -> None:
    url = f"json://{receiver.base.removeprefix('http://')}/hook"
    clock = ManualClock(at(50))
    first, bus = await started_alerter([url], clock)
    runs: list[Event] = [
        registered(), registered("other", name="其他"), finished("failed", 10),
        finished("failed", 11, job_id="other"), finished("failed", 20),
        finished("success", 30, job_id="other"),
    ]  # fmt: skip
    try:
        for event in runs:
            await first.on_event(event)
        await wait_until(lambda: len(bus.notified()) == 2, message="raised (grouped) and resolved notified")
    finally:
        await first.notifier.stop()
    store = SQLiteStore(tmp_path / "scheduler.sqlite3")
    await store.open()
    try:
        log = [*runs, *(message for message in bus.published if isinstance(message, Event))]
        await store.append_events([to_document(event) for event in sorted(log, key=lambda e: e.occurred_at)])
        second, second_bus = await started_alerter([url], ManualClock(at(60)))
        try:
            assert await second.rebuild(store) == len(log)
        finally:
            await second.notifier.stop()
    finally:
        await store.close()
    assert {key: incident.incident_id for key, incident in second.state.open.items()} == {
        key: incident.incident_id for key, incident in first.state.open.items()
    }
    assert set(second.state.open) == {("run_failed", "pipeline_canary")}
    incident = second.state.open["run_failed", "pipeline_canary"]
    assert incident.last_notified_at is not None
    assert second.state.jobs["pipeline_canary"].consecutive_failures == 2
    assert second.state.resolved_count == 1
    # The same failure delivered again after the rebuild raises nothing new.
    await second.on_event(runs[4])
    assert second_bus.published == []
    assert (
        second.metrics.registry.get_sample_value("scheduler_alert_incidents_open", {"rule": "run_failed"})
        == 1
    )
