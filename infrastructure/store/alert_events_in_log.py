"""Alert events read back from the event log.

Read by the processes that follow the operator's alert changes (the alerter's operator feed, the API's
incident book): most of the log is skipped without being parsed.
"""

from __future__ import annotations

from collections.abc import Collection

from contracts.codec import MessageRejected
from contracts.codec import from_document
from contracts.envelope import Event
from infrastructure.store.port import StoredEvent


def alert_event_in(stored: StoredEvent, types: Collection[str]) -> Event | None:
    """The stored event if its type is one of `types` (alert or incident events), else None."""
    if stored.text is not None and "Alert" not in stored.text and "Incident" not in stored.text:
        return None  # most of the log: not an alert event, skipped unparsed
    if stored.document.get("type") not in types:
        return None
    try:
        message = from_document(stored.document)
    except MessageRejected:
        return None
    return message if isinstance(message, Event) else None
