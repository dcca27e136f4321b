"""Grouping of the alerter's notices into messages.

Grouping: notices that come within a short window go out as one message per kind (raised, reminder,
resolved), listing every incident, to every channel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import tzinfo

from contracts.alert_events import NoticeKind
from domain.alert_state import Incident
from services.alerter.channels import ChannelDelivery
from services.alerter.channels import Outbound
from services.alerter.messages import Language
from services.alerter.messages import Notice
from services.alerter.messages import render

# Incidents one message (and one `AlertNotified`) names at most; a bigger group goes out in several.
MAX_PER_MESSAGE = 500


@dataclass
class Notifier:
    """Sends incident notices to every channel, grouping those that come within `group_window_s`."""

    channels: Sequence[ChannelDelivery]
    language: Language
    console_url: str
    zone: tzinfo
    group_window_s: float
    max_listed: int
    _pending: dict[NoticeKind, list[Incident]] = field(init=False, default_factory=dict)
    _flush: asyncio.Task[None] | None = field(init=False, default=None)

    def start(self) -> None:
        """Start every channel's sender task."""
        for channel in self.channels:
            channel.start()

    async def stop(self) -> None:
        """Stop grouping and every channel; what is still waiting is not sent."""
        if self._flush is not None:
            self._flush.cancel()
            await asyncio.gather(self._flush, return_exceptions=True)
        for channel in self.channels:
            await channel.stop()

    def notify(self, kind: NoticeKind, incident: Incident) -> None:
        """Queue a notice of `kind` about the incident; sent with the others of its group window."""
        if not self.channels:
            return
        self._pending.setdefault(kind, []).append(incident)
        if self._flush is None or self._flush.done():
            self._flush = asyncio.create_task(self._flush_after_window(), name="alert-grouping")

    async def _flush_after_window(self) -> None:
        await asyncio.sleep(self.group_window_s)
        pending, self._pending = self._pending, {}
        for kind, incidents in pending.items():
            for start in range(0, len(incidents), MAX_PER_MESSAGE):
                self.send(kind, incidents[start : start + MAX_PER_MESSAGE])

    def send(self, kind: NoticeKind, incidents: Sequence[Incident]) -> None:
        """Send one notice about these incidents to every channel now (no grouping)."""
        outbound = Outbound(
            kind, tuple(incident.incident_id for incident in incidents), self._render(kind, incidents)
        )
        for channel in self.channels:
            channel.submit(outbound)

    def test(self, channel: int, test_id: str) -> bool:
        """Queue a test message to channel number `channel`; False if there is no such channel."""
        if not 0 <= channel < len(self.channels):
            return False
        self.channels[channel].submit(Outbound("test", (), self._render("test", ()), test_id))
        return True

    def _render(self, kind: NoticeKind, incidents: Sequence[Incident]) -> Notice:
        return render(
            kind, incidents, language=self.language, console_url=self.console_url, zone=self.zone,
            max_listed=self.max_listed,
        )  # fmt: skip
