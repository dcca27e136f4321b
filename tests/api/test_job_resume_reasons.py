"""Resuming a job registered disabled (a missing token) is refused with its reason unless confirmed."""

from __future__ import annotations

import httpx
import pytest

from contracts.commands import ResumeJob
from infrastructure.store.sqlite_store import SQLiteStore
from tests.api import seed
from tests.api.envelope import error
from tests.api.fakes import RecordingBus
from tests.store_writes import put_job

NO_TOKEN = "SCHEDULER_TUSHARE_TOKEN is not set: tushare jobs are disabled until a token is configured"


@pytest.fixture
async def jobs(store: SQLiteStore) -> None:
    # Registered disabled: the registration set the pause last, with its reason.
    await put_job(
        store,
        seed.job(
            "tushare_daily",
            paused=True,
            paused_reason=NO_TOKEN,
            registration_version="v1",
            pause_version="v1",
        ),
    )
    # Paused by an operator, then registered again at a restart (the pause and its reason kept).
    await put_job(
        store,
        seed.job(
            "by_hand",
            paused=True,
            paused_reason="paused by alice",
            registration_version="v2",
            pause_version="v2",
        ),
    )
    # Registered disabled for another reason: it can run (a canary paused by default).
    await put_job(
        store,
        seed.job(
            "canary",
            paused=True,
            paused_reason="canary: paused by default, trigger it by hand",
            registration_version="v1",
            pause_version="v1",
        ),
    )
    # Registered disabled, then paused by an operator: the operator's pause is the last word.
    await put_job(
        store,
        seed.job(
            "paused_later",
            paused=True,
            paused_reason="paused by bob",
            registration_version="v1",
            pause_version="v3",
        ),
    )


pytestmark = pytest.mark.usefixtures("jobs")


async def test_resuming_a_job_registered_disabled_is_refused_with_its_reason(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str]
) -> None:
    detail = error(await client.post("/api/scheduler/jobs/tushare_daily/resume", headers=admin), 409)
    english = error(
        await client.post(
            "/api/scheduler/jobs/tushare_daily/resume", headers=admin | {"Accept-Language": "en"}
        ),
        409,
    )

    assert NO_TOKEN in detail and "confirm=true" in detail
    assert english.startswith("Job tushare_daily is disabled (SCHEDULER_TUSHARE_TOKEN is not set")
    assert bus.published == []


async def test_a_confirmed_resume_is_sent(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str]
) -> None:
    response = await client.post(
        "/api/scheduler/jobs/tushare_daily/resume", params={"confirm": "true", "wait": "false"}, headers=admin
    )

    assert response.status_code == 202, response.text
    [command] = bus.commands
    assert isinstance(command, ResumeJob) and command.job_id == "tushare_daily"


@pytest.mark.parametrize("job_id", ["by_hand", "paused_later", "canary"])
async def test_jobs_that_can_run_resume_without_confirmation(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str], job_id: str
) -> None:
    response = await client.post(
        f"/api/scheduler/jobs/{job_id}/resume", params={"wait": "false"}, headers=admin
    )

    assert response.status_code == 202, response.text
    [command] = bus.commands
    assert isinstance(command, ResumeJob) and command.job_id == job_id


async def test_the_reason_is_listed_beside_the_paused_state(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    jobs = (await client.get("/api/scheduler/jobs", headers=viewer)).json()["data"]

    assert {job["id"]: job.get("paused_reason") for job in jobs}["tushare_daily"] == NO_TOKEN
