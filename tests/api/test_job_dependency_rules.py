"""The dependency graph's rules on jobs as data: an `after:` trigger or `policy.after` naming an unknown job,
the job itself, or closing a cycle is a 422 naming it; deleting a job others run after is a 409 naming them.
Nothing is sent then. (The scheduler checks the commands again: `tests/domain/test_job_dependency_rules.py`.)
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from contracts.commands import ChangeJob
from contracts.commands import CreateJob
from infrastructure.store.sqlite_store import SQLiteStore
from tests.api import seed
from tests.api.envelope import accepted
from tests.api.envelope import error
from tests.api.fakes import RecordingBus
from tests.store_writes import put_job

JOBS = "/api/scheduler/jobs"
POLICY = {
    "overlap": "skip",
    "max_concurrent": 1,
    "misfire_grace_time": 300,
    "catch_up": "skip",
    "max_attempts": 1,
    "retry_backoff_s": 30.0,
    "timeout_s": None,
    "pool": "default",
}


def _definition(trigger: str, **policy: Any) -> dict[str, Any]:
    return {
        "trigger": trigger,
        "kwargs": {},
        "display_name": None,
        "description": None,
        "paused": False,
        "policy": POLICY | policy,
    }


@pytest.fixture(autouse=True)
async def graph(store: SQLiteStore) -> None:
    """sync_a ← review (after:) ← report (a time trigger waiting for review)."""
    for job_id, definition in (
        ("sync_a", _definition("0 17 * * 1-5")),
        ("review", _definition("after:sync_a", window="day")),
        ("report", _definition("0 18 * * 1-5", after=["review"], wait_timeout_s=3600.0, window="day")),
    ):
        await put_job(
            store,
            seed.job(job_id, job_kind="news_sync", origin="created", job_version=1, definition=definition),
        )


def validation(response: httpx.Response) -> str:
    assert response.status_code == 422, response.text
    return str(response.json()["detail"])


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"trigger": "after:nowhere"}, "after: names unknown jobs: nowhere"),
        ({"trigger": "0 9 * * *", "policy": {"after": ["gone"]}}, "after: names unknown jobs: gone"),
        ({"trigger": "after:fresh"}, "job fresh cannot run after itself"),
        ({"trigger": "0 9 * * *", "policy": {"after": ["fresh"]}}, "job fresh cannot run after itself"),
        ({"trigger": "after:sync_a", "policy": {"after": ["sync_a"]}}, "an after: trigger takes no"),
        ({"trigger": "0 9 * * *", "policy": {"after": ["sync_a"], "wait_timeout_s": 30}}, "wait_timeout_s"),
        (
            {"trigger": "0 9 * * *", "policy": {"after": ["sync_a"], "wait_timeout_s": 90_000}},
            "wait_timeout_s",
        ),
        ({"trigger": "after:sync_a", "policy": {"window_s": 10}}, "window_s"),
        ({"trigger": "after:sync_a", "policy": {"window": "week"}}, "window"),
    ],
)
async def test_a_create_with_a_bad_dependency_is_422_naming_it(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str], body: dict[str, Any], reason: str
) -> None:
    request = {"id": "fresh", "kind": "news_sync"} | body
    assert reason in validation(await client.post(JOBS, json=request, headers=admin))
    assert bus.commands == []


async def test_a_create_after_known_jobs_is_sent_with_the_day_window(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str]
) -> None:
    body = {"id": "fresh", "kind": "news_sync", "trigger": "after:review,report"}
    accepted(await client.post(JOBS, json=body, headers=admin))
    waits = {"id": "later", "kind": "news_sync", "trigger": "30 18 * * 1-5", "policy": {"after": ["sync_a"]}}
    accepted(await client.post(JOBS, json=waits, headers=admin))
    first, second = bus.commands
    assert isinstance(first, CreateJob) and first.trigger == "after:review,report"
    assert isinstance(second, CreateJob) and second.policy.after == ["sync_a"]


@pytest.mark.parametrize(
    ("job_id", "change", "cycle"),
    [
        ("sync_a", {"trigger": "after:report"}, "sync_a → report → review → sync_a"),
        ("sync_a", {"trigger": "after:review"}, "sync_a → review → sync_a"),
        ("sync_a", {"policy": {"after": ["report"]}}, "sync_a → report → review → sync_a"),
        ("review", {"trigger": "after:report"}, "review → report → review"),
    ],
)
async def test_an_edit_closing_a_cycle_is_422_naming_the_cycle(
    client: httpx.AsyncClient,
    bus: RecordingBus,
    admin: dict[str, str],
    job_id: str,
    change: dict[str, Any],
    cycle: str,
) -> None:
    detail = validation(await client.patch(f"{JOBS}/{job_id}", json=change, headers=admin))
    assert f"after: would close a cycle: {cycle}" in detail
    assert bus.commands == []


async def test_an_edit_keeping_the_graph_sound_is_sent(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str]
) -> None:
    change = {"trigger": "after:sync_a,review", "policy": {"after": []}}
    accepted(await client.patch(f"{JOBS}/report", json=change, headers=admin))
    (command,) = bus.commands
    assert isinstance(command, ChangeJob) and command.trigger == "after:sync_a,review"


async def test_deleting_a_job_others_run_after_is_409_naming_them(
    client: httpx.AsyncClient, bus: RecordingBus, admin: dict[str, str]
) -> None:
    detail = error(await client.delete(f"{JOBS}/sync_a", headers=admin), 409)
    assert "job sync_a cannot be deleted: review run after it" in detail
    assert "report" in error(await client.delete(f"{JOBS}/review", headers=admin), 409)
    assert bus.commands == []
    accepted(await client.delete(f"{JOBS}/report", headers=admin))
    assert len(bus.commands) == 1
