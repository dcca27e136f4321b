"""Fixtures and record builders of the store suite (`test_store.py`).

The `store` fixture runs every test against each adapter: `sqlite` (a real file), and MongoDB either as
`mongodb-real` (a real server at MONGODB_TEST_URL, marked `integration`) or, when that variable is not set,
`mongodb-emulated` (pymongo-async-mock's in-process `AsyncMongoClient` look-alike). The test ids say which.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from domain.records import ExecutionRecord
from domain.records import HistoryRecord
from domain.records import JobRecord
from domain.records import MetadataRecord
from infrastructure.store.mongo_store import MongoStore
from infrastructure.store.port import Store
from infrastructure.store.sqlite_store import SQLiteStore
from tests.backends import MONGODB_TEST_URL
from tests.backends import store_backends
from tests.mongo_emulation import emulated_client

# Millisecond precision: MongoDB keeps no more, and the suite compares round trips exactly.
T0 = datetime(2024, 3, 1, 1, 30, 0, 125000, tzinfo=UTC)


@pytest.fixture(params=store_backends())
async def store(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[Store]:
    backend: str = request.param
    if backend == "sqlite":
        # A parent directory that does not exist yet: the store creates it.
        sqlite_store = SQLiteStore(tmp_path / "data" / "scheduler.sqlite3")
        await sqlite_store.open()
        yield sqlite_store
        await sqlite_store.close()
    elif backend == "mongodb-real":
        assert MONGODB_TEST_URL is not None
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            MONGODB_TEST_URL, tz_aware=True, serverSelectionTimeoutMS=5000
        )
        database = f"test_store_{uuid.uuid4().hex}"
        real_store = MongoStore(client, database)
        await real_store.open()
        yield real_store
        await real_store.close()
        await client.drop_database(database)
        await client.close()
    else:
        emulated_store = MongoStore(emulated_client(), "test_store")
        await emulated_store.open()
        yield emulated_store
        await emulated_store.close()


def at(minutes: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes)


def job_record(job_id: str, **changes: Any) -> JobRecord:
    fields: dict[str, Any] = {
        "job_id": job_id,
        "name": f"job {job_id}",
        "job_kind": "sync_daily_quotes",
        "trigger": "cron[hour='15', minute='30']",
        "kwargs": {"market": "SH", "days": 3},
        "paused": False,
        "next_run_time": at(60),
        "misfire_grace_time": 600,
        "registered_at": at(),
        "updated_at": at(),
    }
    return JobRecord(**(fields | changes))


def metadata_record(job_id: str, display_name: str) -> MetadataRecord:
    return MetadataRecord(
        job_id=job_id, display_name=display_name, description=f"about {job_id}", updated_at=at(1)
    )


def execution_record(
    execution_id: str,
    *,
    job_id: str = "job-a",
    status: str = "success",
    minutes: float = 0,
    **changes: Any,
) -> ExecutionRecord:
    fields: dict[str, Any] = {
        "execution_id": execution_id,
        "job_id": job_id,
        "job_name": f"job {job_id}",
        "status": status,
        "timestamp": at(minutes),
        "updated_at": at(minutes),
    }
    return ExecutionRecord(**(fields | changes))


def history_record(
    history_id: str, *, job_id: str | None = "job-a", status: str = "success", minutes: float = 0
) -> HistoryRecord:
    return HistoryRecord(
        history_id=history_id,
        job_id=job_id,
        action="pause",
        status=status,
        timestamp=at(minutes),
        actor="operator",
        details={"reason": "maintenance"},
    )


def event_document(
    message_id: str,
    *,
    event_type: str = "JobStarted",
    job_id: str | None = "job-a",
    execution_id: str | None = None,
    actor: str | None = None,
    seconds: float = 0,
) -> dict[str, Any]:
    """An event as the codec hands it to the store: a JSON-compatible envelope."""
    document: dict[str, Any] = {
        "message_id": message_id,
        "type": event_type,
        "version": 1,
        "occurred_at": (T0 + timedelta(seconds=seconds)).isoformat(),
        "correlation_id": f"corr-{message_id}",
        "causation_id": None,
        "producer": "scheduler",
    }
    optional = {"job_id": job_id, "execution_id": execution_id, "actor": actor}
    document.update({field: value for field, value in optional.items() if value is not None})
    return document
