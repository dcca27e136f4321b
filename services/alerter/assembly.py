"""Builds an alerter from settings (used by its own process and by the embedded mode)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from contracts.envelope import utc_now
from domain.catalogue_definitions import load_definitions
from infrastructure.bus.port import Bus
from services.alerter.alerter import Alerter
from services.alerter.channels import ChannelDelivery
from services.alerter.channels import DeliveryPolicy
from services.alerter.channels import Outbound
from services.alerter.notifier import Notifier
from services.alerter.rules import alert_rules
from services.alerter.settings import AlerterSettings


def build_alerter(
    settings: AlerterSettings, bus: Bus, *, producer: str, clock: Callable[[], datetime] = utc_now
) -> Alerter:
    """The alerter the settings describe: its rules (from the job catalogue), channels and notifier."""
    alerts = settings.alerts
    rules = alert_rules(alerts, load_definitions(settings), settings.zone, clock())
    policy = DeliveryPolicy(alerts.delivery_attempts, alerts.delivery_backoff_s, alerts.delivery_timeout_s)
    holder: list[Alerter] = []

    async def report(
        channel: ChannelDelivery, outbound: Outbound, sent: bool, n: int, error: str | None
    ) -> None:
        await holder[0].report_delivery(channel, outbound, sent, n, error)

    channels = [ChannelDelivery(url, policy, report) for url in alerts.channels]
    notifier = Notifier(
        channels, alerts.language, alerts.console_url, settings.zone, alerts.group_window_s, alerts.max_listed
    )
    alerter = Alerter(
        bus, rules, notifier, producer=producer, reminder_interval_s=alerts.reminder_interval_s, clock=clock,
        operator_poll_s=alerts.operator_poll_s,
    )  # fmt: skip
    holder.append(alerter)
    return alerter
