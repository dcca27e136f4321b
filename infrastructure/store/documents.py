"""What both store adapters derive from the documents they keep.

An event document is indexed by a few envelope fields (`message_id`, `type`, `job_id`, `execution_id`,
`actor`, `occurred_at`); `execution_stats` is assembled the same way from either database's aggregate.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

from domain.records import ExecutionStats

STATS_STATUSES = ("success", "failed", "missed", "cancelled", "skipped", "running", "partial")


@dataclass(frozen=True)
class EventFields:
    """The envelope fields an event store filters on, taken from one event document."""

    message_id: str
    type: str
    job_id: str | None
    execution_id: str | None
    actor: str | None
    occurred_at: datetime  # aware, UTC


def as_utc(moment: datetime) -> datetime:
    """Aware UTC datetime; a naive one is taken as UTC (what BSON dates are)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_moment(value: object) -> datetime:
    """An aware UTC datetime from a stored value (a datetime or ISO text); ValueError otherwise."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value)
    else:
        raise ValueError(f"expected an ISO datetime, got {value!r}")
    if moment.tzinfo is None:
        raise ValueError(f"datetime without a timezone: {value!r}")
    return moment.astimezone(UTC)


def _optional_text(document: Mapping[str, Any], field: str) -> str | None:
    value = document.get(field)
    return value if isinstance(value, str) else None


def event_fields(document: Mapping[str, Any]) -> EventFields:
    """The indexed fields of an event document; ValueError if the envelope is incomplete."""
    message_id = document.get("message_id")
    event_type = document.get("type")
    if not isinstance(message_id, str) or not message_id:
        raise ValueError("event document without a 'message_id'")
    if not isinstance(event_type, str) or not event_type:
        raise ValueError(f"event {message_id} without a 'type'")
    return EventFields(
        message_id=message_id,
        type=event_type,
        job_id=_optional_text(document, "job_id"),
        execution_id=_optional_text(document, "execution_id"),
        actor=_optional_text(document, "actor"),
        occurred_at=parse_moment(document.get("occurred_at")),
    )


def encode_event_document(document: Mapping[str, Any]) -> str:
    """JSON text of an event document; TypeError if it is not JSON (both adapters refuse the same input)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def build_execution_stats(
    counts: Mapping[str, int],
    total: int,
    success_average: float | None,
    last_execution: dict[str, Any] | None,
) -> ExecutionStats:
    """Stats from per-status counts; the average is rounded here so both adapters round alike."""
    return ExecutionStats(
        total=total,
        avg_execution_time=round(success_average, 2) if success_average is not None else 0.0,
        last_execution=last_execution,
        **{status: counts.get(status, 0) for status in STATS_STATUSES},
    )


ACTIVE_STATUSES = frozenset({"scheduled", "queued", "running", "waiting"})
