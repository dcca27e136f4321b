"""How the backfill events and the events of a backfill's runs change the backfills read model (pure).

A day's status only moves forward (queued, then running, then a final status), whatever the order and the
number of times events arrive, so a live projector and a replay build the same records.
"""

from __future__ import annotations

from contracts.envelope import Event
from contracts.envelope import ExecutionEvent
from contracts.events import BACKFILL_EVENTS
from contracts.events import RUN_ENDED_AS
from contracts.events import TERMINAL_STATUSES
from contracts.events import AttemptFailed
from contracts.events import BackfillCancelled
from contracts.events import BackfillFinished
from contracts.events import BackfillRequested
from contracts.events import JobFinished
from contracts.events import JobStarted
from contracts.events import Progress
from contracts.events import RunQueued
from contracts.events import backfill_of
from domain.records import BackfillRecord
from domain.records import updated
from domain.same_fields import copied

ACTIVE_BACKFILL_STATUSES = frozenset({"running", "cancelling"})
_RUN_STATUS: dict[type[ExecutionEvent], str] = {
    RunQueued: "queued",
    JobStarted: "running",
    Progress: "running",
    AttemptFailed: "running",
    **RUN_ENDED_AS,
}


def backfill_key(event: Event) -> str | None:
    """The backfill an event is about (its own events, and its runs' events), or None."""
    if isinstance(event, BACKFILL_EVENTS):
        return event.backfill_id
    if isinstance(event, ExecutionEvent):
        owner = backfill_of(event.execution_id)
        return owner[0] if owner is not None else None
    return None


def project_backfill(record: BackfillRecord | None, event: Event) -> BackfillRecord | None:
    """The backfill after `event` (the same record when it changes nothing)."""
    match event:
        case BackfillRequested():
            return record if record is not None else _requested(event)
        case BackfillCancelled():
            if record is None or record.status != "running":
                return record
            return updated(record, {"status": "cancelling"})
        case BackfillFinished():
            return _finished(record, event) if record is not None else None
    if record is None or not isinstance(event, ExecutionEvent):
        return record
    return _run_moved(record, event)


def _requested(event: BackfillRequested) -> BackfillRecord:
    return copied(BackfillRecord, event, days=list(event.days), requested_at=event.occurred_at)


def _finished(record: BackfillRecord, event: BackfillFinished) -> BackfillRecord:
    if record.finished_at is not None:
        return record
    counts = {"done": event.done, "failed": event.failed, "cancelled": event.cancelled}
    status = "cancelled" if event.was_cancelled else "finished"
    return updated(record, {"status": status, "finished_at": event.occurred_at, "counts": counts})


def _rank(status: str | None) -> int:
    if status is None:
        return 0
    if status in TERMINAL_STATUSES:
        return 3
    return 2 if status == "running" else 1


def _run_moved(record: BackfillRecord, event: ExecutionEvent) -> BackfillRecord:
    owner = backfill_of(event.execution_id)
    status = event.status if isinstance(event, JobFinished) else _RUN_STATUS.get(type(event))
    if owner is None or status is None or owner[1] not in record.days:
        return record
    day = owner[1]
    if _rank(status) <= _rank(record.runs.get(day)):
        return record
    runs = {**record.runs, day: status}
    if day not in record.runs:
        runs = dict(sorted(runs.items()))  # by day, whatever the order the runs' events came in
    return updated(record, {"runs": runs})
