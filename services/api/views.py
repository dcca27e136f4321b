"""From read-model records and stored events to the wire shapes, with datetimes in the display timezone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from typing import get_args
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime

from contracts.envelope import Message
from contracts.events import EVENT_TYPES
from domain.records import ExecutionRecord
from domain.records import ExecutionStats
from domain.records import HistoryRecord
from domain.records import RunCounts
from domain.same_fields import copied
from infrastructure.store.port import JobView
from services.api.schemas import Job
from services.api.schemas import JobDetail
from services.api.schemas import JobExecution
from services.api.schemas import JobExecutionStats
from services.api.schemas import JobHistory
from services.api.schemas import LastExecution
from services.api.statuses import status_text


def _datetime_fields() -> frozenset[str]:
    names = {"occurred_at"}
    for event_type in EVENT_TYPES:
        for name, field in event_type.model_fields.items():
            candidates = (field.annotation, *get_args(field.annotation))
            if any(candidate in (datetime, AwareDatetime) for candidate in candidates):
                names.add(name)
    return frozenset(names)


# Every datetime field of any event type: re-rendered in the display timezone when an event is shown.
EVENT_DATETIME_FIELDS = _datetime_fields()


def iso(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """The moment in `zone` as ISO 8601; None for None."""
    return None if moment is None else moment.astimezone(zone).isoformat()


def now_iso(zone: ZoneInfo) -> str:
    """The current time in `zone` as ISO 8601 (the envelopes' timestamp)."""
    return datetime.now(zone).isoformat()


def _render_moment(value: Any, zone: ZoneInfo) -> Any:
    """A datetime, or a stored ISO string, in the display timezone; anything else as it is."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(zone).isoformat()
    return value


def job_out(view: JobView, zone: ZoneInfo) -> Job:
    """A job's list answer, times in `zone`."""
    return Job(**_job_fields(view, zone))


def job_detail_out(view: JobView, zone: ZoneInfo) -> JobDetail:
    """A job's detailed answer, times in `zone`."""
    job = view.job
    return JobDetail(
        **_job_fields(view, zone),
        func=job.job_kind,
        args=[],
        kwargs=job.kwargs,
        misfire_grace_time=job.misfire_grace_time,
        max_instances=job.max_instances,
        coalesce=job.coalesce,
    )


def _job_fields(view: JobView, zone: ZoneInfo) -> dict[str, Any]:
    job, metadata = view.job, view.metadata
    return {
        "id": job.job_id,
        "name": job.name,
        "next_run_time": iso(job.next_run_time, zone),
        "paused": job.paused,
        "trigger": job.trigger,
        "display_name": metadata.display_name if metadata else None,
        "description": metadata.description if metadata else None,
        "paused_reason": job.paused_reason,
    }


def execution_out(record: ExecutionRecord, zone: ZoneInfo) -> JobExecution:
    """An execution's answer, times in `zone`."""
    return copied(
        JobExecution,
        record,
        id=record.execution_id,
        status_text=status_text(record.status),
        scheduled_time=iso(record.scheduled_time, zone),
        timestamp=iso(record.timestamp, zone) or "",
        started_at=iso(record.started_at, zone),
        finished_at=iso(record.finished_at, zone),
        progress=display_progress(record.progress),
        updated_at=iso(record.updated_at, zone),
        retry_at=iso(record.retry_at, zone),
        wait_until=iso(record.wait_until, zone),
    )


def display_progress(progress: float | None) -> float | None:
    """Progress for display: one decimal (a client shows it as `{progress}%`)."""
    return None if progress is None else round(progress, 1)


def history_out(record: HistoryRecord, zone: ZoneInfo) -> JobHistory:
    """A history line's answer, times in `zone`."""
    return copied(JobHistory, record, timestamp=iso(record.timestamp, zone) or "")


def stats_out(stats: ExecutionStats, zone: ZoneInfo) -> JobExecutionStats:
    """A job's execution statistics' answer, times in `zone`."""
    last = stats.last_execution
    return JobExecutionStats(
        **stats.model_dump(include=set(RunCounts.model_fields)),
        avg_execution_time=round(stats.avg_execution_time, 2),
        last_execution=None
        if last is None
        else LastExecution(
            status=str(last.get("status")),
            timestamp=_render_moment(last.get("timestamp"), zone),
            execution_time=last.get("execution_time"),
        ),
    )


def event_out(document: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """A stored event document with its datetimes in the display timezone."""
    return {
        key: _render_moment(value, zone) if key in EVENT_DATETIME_FIELDS else value
        for key, value in document.items()
    }


def message_out(message: Message, zone: ZoneInfo) -> dict[str, Any]:
    """A bus message as the event log shows it, times in `zone`."""
    return event_out(message.model_dump(mode="json"), zone)
