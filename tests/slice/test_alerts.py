"""Alerts in the embedded mode: the alerter runs in the one process; a failed canary is raised, notified to a
JSON webhook on loopback and stored; a success resolves it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from infrastructure.store.port import EventQuery
from services.alerter.settings import AlertSettings
from services.embedded.system import EmbeddedSystem
from tests.alerter.receivers import HttpReceiver
from tests.alerter.receivers import http_receiver
from tests.jobs import embedded_settings
from tests.slice.test_pipeline import trigger
from tests.slice.test_pipeline import wait_for_status
from tests.waiting import wait_until


@pytest.fixture
def webhook() -> Iterator[HttpReceiver]:
    yield from http_receiver()


@pytest.fixture
async def alerting(tmp_path: Path, webhook: HttpReceiver) -> AsyncIterator[EmbeddedSystem]:
    alerts = AlertSettings(
        channels=[SecretStr(f"json://{webhook.base.removeprefix('http://')}/alerts")], group_window_s=0.1
    )
    settings = embedded_settings(
        data_dir=tmp_path,
        bus="memory",
        store="sqlite",
        heartbeat_interval_s=0.2,
        alerts=alerts,
    )
    running = EmbeddedSystem(settings)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def test_failed_canary_is_raised_notified_and_resolved(
    alerting: EmbeddedSystem, webhook: HttpReceiver
) -> None:
    failing = await trigger(alerting, duration_s=0, fail=True)
    await wait_for_status(alerting, failing, "failed")
    await wait_until(lambda: len(webhook.calls) == 1, message="the raised notification")
    assert webhook.calls[0].body["title"] == "【告警】1 个任务异常"
    fixed = await trigger(alerting, duration_s=0)
    await wait_for_status(alerting, fixed, "success")
    await wait_until(lambda: len(webhook.calls) == 2, message="the resolved notification")
    assert webhook.calls[1].body["title"] == "【已恢复】1 个任务"

    async def stored(event_type: str, count: int) -> bool:
        _, total = await alerting.store.list_events(EventQuery(type=event_type))
        return total == count

    for event_type, count in (("AlertRaised", 1), ("AlertNotified", 2), ("AlertResolved", 1)):
        await wait_until(lambda: stored(event_type, count), message=f"{count} {event_type} stored")  # noqa: B023
    assert alerting.alerter.state.open == {}
