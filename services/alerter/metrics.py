"""The alerter's Prometheus metrics (labels from closed sets: channel types, outcomes, rules)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Gauge


class AlerterMetrics:
    """The alerter's Prometheus metrics, in a registry of their own (served on its metrics port)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.notifications = Counter(
            "scheduler_alert_notifications",
            "Alert messages sent or finally failed, by channel type",
            ["channel_type", "outcome"],
            registry=self.registry,
        )
        self.channel_failing = Gauge(
            "scheduler_alert_channel_consecutive_failures",
            "Messages in a row a channel type finally failed to deliver (0: healthy)",
            ["channel_type"],
            registry=self.registry,
        )
        self.incidents_open = Gauge(
            "scheduler_alert_incidents_open", "Open incidents", ["rule"], registry=self.registry
        )
