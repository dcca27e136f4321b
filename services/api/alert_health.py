"""Alert channels in the health answer.

A channel type whose latest message finally failed is reported (from the `AlertNotified` events of the log, so
it works whichever process runs the alerter).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from infrastructure.store.port import EventLog
from infrastructure.store.port import EventQuery

# The latest notifications looked at: enough to see every configured channel (at most 20) a few times.
RECENT_NOTIFICATIONS = 200


def failing_channels(notifications: Iterable[dict[str, Any]]) -> list[str]:
    """Channel types whose latest notification (oldest first in `notifications`) failed."""
    latest = {str(item.get("channel_type")): item.get("outcome") for item in notifications}
    return sorted(kind for kind, outcome in latest.items() if outcome == "failed")


async def failing_alert_channels(store: EventLog) -> list[str]:
    """The channel types whose latest notification finally failed (from the recent `AlertNotified` events)."""
    _, total = await store.list_events(EventQuery(type="AlertNotified", limit=1))
    offset = max(0, total - RECENT_NOTIFICATIONS)
    recent, _ = await store.list_events(
        EventQuery(type="AlertNotified", limit=RECENT_NOTIFICATIONS, offset=offset)
    )
    return failing_channels(recent)
