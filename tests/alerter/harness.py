"""An alerter wired as in production (settings, Apprise channels) on an in-process bus that records what it
publishes, with a clock the test moves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

from pydantic import SecretStr

from contracts.alert_events import AlertNotified
from contracts.envelope import Message
from infrastructure.bus.memory_bus import InMemoryBus
from services.alerter.alerter import Alerter
from services.alerter.assembly import build_alerter
from services.alerter.settings import AlerterSettings
from services.alerter.settings import AlertSettings
from tests.domain.alert_streams import at


class RecordingBus(InMemoryBus):
    def __init__(self) -> None:
        super().__init__()
        self.published: list[Message] = []

    async def publish_many(self, messages: Sequence[Message]) -> None:
        self.published.extend(messages)
        await super().publish_many(messages)

    def notified(self) -> list[AlertNotified]:
        return [message for message in self.published if isinstance(message, AlertNotified)]


@dataclass
class ManualClock:
    now: datetime = field(default_factory=lambda: at(0))

    def __call__(self) -> datetime:
        return self.now


async def started_alerter(
    channels: list[str], clock: ManualClock | None = None, **alerts: Any
) -> tuple[Alerter, RecordingBus]:
    bus = RecordingBus()
    await bus.start()
    options: dict[str, Any] = {"group_window_s": 0.2, "delivery_backoff_s": 0.01, "delivery_timeout_s": 5.0}
    settings = AlerterSettings(
        alerts=AlertSettings(channels=[SecretStr(url) for url in channels], **(options | alerts))
    )
    alerter = build_alerter(settings, bus, producer="alerter:test", clock=clock or ManualClock())
    alerter.notifier.start()
    return alerter, bus
