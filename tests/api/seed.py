"""Read-model records written straight into the store, as the projector would have left them."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from domain.records import ExecutionRecord
from domain.records import HistoryRecord
from domain.records import JobRecord
from domain.records import MetadataRecord
from domain.records import SchedulerStateRecord
from infrastructure.store.port import Store
from tests.store_writes import put_execution
from tests.store_writes import put_job
from tests.store_writes import put_metadata

T0 = datetime(2025, 1, 6, 1, 30, tzinfo=UTC)  # 09:30 in Asia/Shanghai


def job(job_id: str, *, paused: bool = False, **fields: Any) -> JobRecord:
    values: dict[str, Any] = {
        "job_id": job_id,
        "name": f"name of {job_id}",
        "job_kind": f"kind.{job_id}",
        "trigger": "cron[minute='*/5', hour='9-15', day_of_week='mon-fri']",
        "kwargs": {"batch": 500},
        "paused": paused,
        "next_run_time": None if paused else T0 + timedelta(minutes=5),
        "misfire_grace_time": 300,
        "max_instances": 1,
        "registered_at": T0,
        "updated_at": T0,
    }
    return JobRecord(**{**values, **fields})


def execution(
    execution_id: str,
    job_id: str = "quotes",
    *,
    status: str = "success",
    minutes: int = 0,
    **fields: Any,
) -> ExecutionRecord:
    timestamp = T0 + timedelta(minutes=minutes)
    values: dict[str, Any] = {
        "execution_id": execution_id,
        "job_id": job_id,
        "job_name": f"name of {job_id}",
        "status": status,
        "scheduled_time": timestamp,
        "timestamp": timestamp,
        "updated_at": timestamp,
    }
    if status in ("success", "failed", "cancelled"):
        values.update(
            started_at=timestamp + timedelta(seconds=2),
            finished_at=timestamp + timedelta(seconds=12),
            execution_time=10.0,
        )
    return ExecutionRecord(**{**values, **fields})


def history(history_id: str, job_id: str | None, *, minutes: int = 0, **fields: Any) -> HistoryRecord:
    values: dict[str, Any] = {
        "history_id": history_id,
        "job_id": job_id,
        "action": "pause",
        "status": "success",
        "timestamp": T0 + timedelta(minutes=minutes),
        "actor": "alice",
    }
    return HistoryRecord(**{**values, **fields})


def heartbeat(
    *,
    age_s: float,
    state: int = 1,
    interval_s: float = 10.0,
    scheduler_id: str = "scheduler-1",
    active: bool = True,
) -> SchedulerStateRecord:
    return SchedulerStateRecord(
        scheduler_id=scheduler_id,
        state=state,
        total_jobs=3,
        paused_jobs=1,
        interval_s=interval_s,
        last_heartbeat=datetime.now(UTC) - timedelta(seconds=age_s),
        active=active,
    )


async def catalogue(store: Store) -> None:
    """Three jobs (one paused, one with metadata) and executions in every interesting state."""
    await put_job(store, job("quotes"))
    await put_job(store, job("basics", paused=True))
    await put_job(store, job("news"))
    await put_metadata(
        store, MetadataRecord(job_id="quotes", display_name="行情", description="实时行情", updated_at=T0)
    )
    for record in (
        execution("e-success", minutes=1, return_value={"rows": 10}),
        execution("e-failed", status="failed", minutes=2, error_message="boom", traceback="tb"),
        execution("e-missed", status="missed", minutes=3),
        execution("e-running", status="running", minutes=4, is_manual=True, progress=40.0),
        execution("e-queued", status="queued", minutes=5, is_manual=True),
        execution("e-news", "news", minutes=6),
    ):
        await put_execution(store, record)
