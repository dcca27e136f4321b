"""The operators' alert events, read from the tail of the event log.

Silences, acknowledgements, rule changes, channel tests.

The API appends them to the event log itself rather than publishing them: the events exchange is closed to
the API's broker user (it must not be able to forge run events) and the commands queue is the scheduler's.
The alerter follows the log's tail for them every `operator_poll_s` (about a second late at most). Each is
handled once: the tail is re-read with an overlap (a store may number events in an order a little
different from the order they became visible) and what was handled is remembered by message id.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from collections.abc import Callable

from contracts.envelope import Event
from infrastructure.background import Repeating
from infrastructure.background import every
from infrastructure.store.alert_events_in_log import alert_event_in
from infrastructure.store.port import EventLog
from infrastructure.store.port import StoredEvent

logger = logging.getLogger(__name__)

OPERATOR_TYPES = frozenset(
    {"AlertSilenced", "AlertUnsilenced", "IncidentAcknowledged", "AlertRulesUpdated",
     "AlertChannelTestRequested"}
)  # fmt: skip
# Positions re-read below the last one seen, and message ids remembered.
OVERLAP = 100
REMEMBERED = 10_000


def operator_event(stored: StoredEvent) -> Event | None:
    """The operator's alert event stored here, if it is one (most of the log is skipped unparsed)."""
    return alert_event_in(stored, OPERATOR_TYPES)


class OperatorFeed:
    """Hands each operator event of the log to `handle` once, from `position` on."""

    def __init__(self, store: EventLog, handle: Callable[[Event], Awaitable[None]]) -> None:
        self.store = store
        self.handle = handle
        self.position = 0
        self._handled: dict[str, None] = {}

    def seen(self, stored: StoredEvent, event: Event | None) -> None:
        """Record an event already folded (by the rebuild): not handed over again."""
        self.position = max(self.position, stored.position)
        if event is not None:
            self._remember(event.message_id)

    def _remember(self, message_id: str) -> None:
        self._handled[message_id] = None
        while len(self._handled) > REMEMBERED:
            del self._handled[next(iter(self._handled))]

    async def poll(self) -> int:
        """Hand over the operator events appended since the last poll; returns how many."""
        handed = 0
        async for batch in self.store.iter_events(batch_size=1000, after=max(0, self.position - OVERLAP)):
            for stored in batch:
                self.position = max(self.position, stored.position)
                event = operator_event(stored)
                if event is None or event.message_id in self._handled:
                    continue
                self._remember(event.message_id)
                await self.handle(event)
                handed += 1
        return handed

    async def run(self, interval_s: float) -> None:
        """Poll the event log for operator events every `interval_s` seconds, until cancelled."""
        failure = f"reading the operators' alert events failed; next try in {interval_s:g} s"
        await Repeating(self.poll, every(interval_s), failure, pause_first=True, logger=logger).forever()
