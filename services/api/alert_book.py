"""The API's view of alerts.

The incident book folded from the event log, read incrementally, and the operators' alert events appended to
the log.

Whichever process runs the alerter, the log holds its events (the projector stores them), so the book is
the same in every API process. The operators' events are appended by the API itself (the alerter follows
the log for them: `services/alerter/operator_feed.py`), so an answer already shows what it did.
"""

from __future__ import annotations

import asyncio

from fastapi import Request

from contracts.codec import to_document
from contracts.envelope import Event
from domain.alert_incidents import BOOK_TYPES
from domain.alert_incidents import IncidentBook
from infrastructure.store.alert_events_in_log import alert_event_in
from infrastructure.store.port import EventLog
from infrastructure.store.port import StoredEvent

# Positions re-read below the last one seen (a store may number events a little out of visible order);
# the fold is idempotent.
OVERLAP = 100


def _book_event(stored: StoredEvent) -> Event | None:
    return alert_event_in(stored, BOOK_TYPES)


class AlertLog:
    """The incident book of this API process, caught up from the event log on each read."""

    def __init__(self, store: EventLog) -> None:
        self.store = store
        self.book = IncidentBook()
        self.position = 0
        self._lock = asyncio.Lock()

    async def current(self) -> IncidentBook:
        """The book with every alert event stored until now folded in."""
        async with self._lock:
            async for batch in self.store.iter_events(after=max(0, self.position - OVERLAP)):
                for stored in batch:
                    self.position = max(self.position, stored.position)
                    event = _book_event(stored)
                    if event is not None:
                        self.book.apply(event)
        return self.book

    async def record(self, event: Event) -> None:
        """Append an operator's event to the log (once per message id)."""
        await self.store.append_event(to_document(event))


def alert_log(request: Request, store: EventLog) -> AlertLog:
    """The app's alert log reader, made on first use (one per app and store)."""
    existing = getattr(request.app.state, "alert_log", None)
    if isinstance(existing, AlertLog) and existing.store is store:
        return existing
    created = AlertLog(store)
    request.app.state.alert_log = created
    return created
