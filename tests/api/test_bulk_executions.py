"""Bulk actions on executions: selection by id or filter, one per-run command each with a deterministic
id, skipped runs counted, progress readable, re-sending idempotent, bounds and bad input, retention."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import timedelta
from typing import Any

import httpx
import pytest

from contracts.commands import DeleteExecution
from contracts.commands import MarkExecutionFailed
from contracts.envelope import Message
from domain.read_model import ReadModelChanges
from infrastructure.bus.port import BusUnavailable
from infrastructure.store.bulk_actions_port import BulkActionStore
from infrastructure.store.mongo_bulk_actions import MongoBulkActions
from infrastructure.store.sqlite_bulk_actions import SQLiteBulkActions
from infrastructure.store.sqlite_store import SQLiteStore
from services.api.bulk import command_id
from services.api.settings import ApiSettings
from tests.api import seed
from tests.api.conftest import ADMIN
from tests.api.conftest import AppFactory
from tests.api.envelope import accepted
from tests.api.envelope import error
from tests.api.envelope import ok
from tests.api.fakes import RecordingBus
from tests.mongo_emulation import emulated_client
from tests.waiting import wait_until

BULK = "/api/scheduler/executions/bulk"


async def _finished(client: httpx.AsyncClient, headers: dict[str, str], operation_id: str) -> dict[str, Any]:
    """The operation's progress once it is no longer running."""
    progress: dict[str, Any] = {}

    async def ended() -> bool:
        progress.update(ok(await client.get(f"{BULK}/{operation_id}", headers=headers)))
        return bool(progress["state"] != "running")

    await wait_until(ended, timeout=5, message="bulk operation still running")
    return progress


async def test_delete_by_ids_sends_one_audited_command_per_finished_run_and_skips_active_ones(
    client: httpx.AsyncClient,
    admin: dict[str, str],
    viewer: dict[str, str],
    store: SQLiteStore,
    bus: RecordingBus,
) -> None:
    await seed.catalogue(store)
    body = {"action": "delete", "execution_ids": ["e-success", "e-failed", "e-running", "e-gone", "e-failed"]}

    response = await client.post(BULK, json=body, headers=admin)
    started = accepted(response)
    progress = await _finished(client, viewer, started["operation_id"])

    assert response.headers["location"] == f"{BULK}/{started['operation_id']}"
    assert "1" in response.json()["message"] and started["skipped"] == 1
    assert {key: progress[key] for key in ("state", "selected", "skipped", "missing", "sent", "to_send")} == {
        "state": "done",
        "selected": 4,
        "skipped": 1,
        "missing": 1,
        "sent": 2,
        "to_send": 2,
    }
    commands = bus.commands
    assert [type(command) for command in commands] == [DeleteExecution, DeleteExecution]
    assert [(command.execution_id, command.actor) for command in commands] == [  # type: ignore[attr-defined]
        ("e-success", ADMIN),
        ("e-failed", ADMIN),
    ]
    assert [command.message_id for command in commands] == [
        command_id(started["operation_id"], "e-success"),
        command_id(started["operation_id"], "e-failed"),
    ]


async def test_mark_failed_of_every_run_matching_a_filter_skips_ended_ones_and_carries_the_reason(
    client: httpx.AsyncClient, admin: dict[str, str], store: SQLiteStore, bus: RecordingBus
) -> None:
    await seed.catalogue(store)
    body = {
        "action": "mark_failed",
        "filter": {"job_id": "quotes", "is_manual": True},
        "reason": "lost worker",
    }

    started = accepted(await client.post(BULK, json=body, headers=admin | {"Accept-Language": "en"}))
    progress = await _finished(client, admin, started["operation_id"])

    assert (progress["selected"], progress["skipped"], progress["sent"]) == (2, 0, 2)
    assert sorted(command.execution_id for command in bus.commands) == ["e-queued", "e-running"]  # type: ignore[attr-defined]
    assert all(isinstance(command, MarkExecutionFailed) for command in bus.commands)
    assert {command.reason for command in bus.commands} == {"lost worker"}  # type: ignore[attr-defined]


async def test_re_sending_an_operation_by_its_id_repeats_no_command(
    client: httpx.AsyncClient, admin: dict[str, str], store: SQLiteStore, bus: RecordingBus
) -> None:
    await seed.catalogue(store)
    body = {"action": "delete", "filter": {"status": "success"}, "operation_id": "cleanup-1"}

    first = accepted(await client.post(BULK, json=body, headers=admin))
    await _finished(client, admin, "cleanup-1")
    again = ok(await client.post(BULK, json=body, headers=admin))

    assert first["operation_id"] == again["operation_id"] == "cleanup-1"
    assert sorted(command.message_id for command in bus.commands) == sorted(
        command_id("cleanup-1", execution_id) for execution_id in ("e-success", "e-news")
    )


@dataclass
class FlakyBus(RecordingBus):
    """Refuses batches while `down`."""

    down: bool = False

    async def publish_many(self, messages: Sequence[Message]) -> None:
        if self.down:
            raise BusUnavailable("broker unreachable (test double)")
        await super().publish_many(messages)


async def test_an_operation_stopped_by_the_broker_is_carried_on_with_the_same_command_ids(
    make_client: AppFactory, admin: dict[str, str], store: SQLiteStore
) -> None:
    await seed.catalogue(store)
    bus = FlakyBus(down=True)
    body = {"action": "delete", "execution_ids": ["e-success", "e-missed"], "operation_id": "retry-me"}

    async with make_client(bus) as client:
        accepted(await client.post(BULK, json=body, headers=admin))
        stopped = await _finished(client, admin, "retry-me")
        bus.down = False
        accepted(await client.post(BULK, json=body, headers=admin))
        resumed = await _finished(client, admin, "retry-me")

    assert (stopped["state"], stopped["sent"], stopped["error"] is not None) == ("failed", 0, True)
    assert (resumed["state"], resumed["sent"]) == ("done", 2)
    assert [command.message_id for command in bus.commands] == [
        command_id("retry-me", "e-success"),
        command_id("retry-me", "e-missed"),
    ]


async def test_the_retention_command_deletes_a_jobs_runs_due_before_the_moment(
    client: httpx.AsyncClient, admin: dict[str, str], store: SQLiteStore, bus: RecordingBus
) -> None:
    await seed.catalogue(store)
    before = (seed.T0 + timedelta(minutes=4, seconds=30)).isoformat()  # after e-running, before e-queued

    started = accepted(
        await client.post(
            "/api/scheduler/jobs/quotes/executions/retention", json={"before": before}, headers=admin
        )
    )
    progress = await _finished(client, admin, started["operation_id"])

    assert (progress["action"], progress["selected"], progress["skipped"]) == ("delete", 4, 1)
    assert sorted(command.execution_id for command in bus.commands) == [  # type: ignore[attr-defined]
        "e-failed",
        "e-missed",
        "e-success",
    ]


async def test_more_than_ten_thousand_runs_are_refused_with_the_count(
    client: httpx.AsyncClient, admin: dict[str, str], store: SQLiteStore, bus: RecordingBus
) -> None:
    runs = {
        f"bulk-{number:05}": seed.execution(f"bulk-{number:05}", minutes=number % 600)
        for number in range(10_001)
    }
    await store.apply_changes(ReadModelChanges(executions=dict(runs)))

    detail = error(
        await client.post(
            BULK, json={"action": "delete", "filter": {}}, headers=admin | {"Accept-Language": "en"}
        ),
        422,
    )

    assert "10001" in detail and "10000" in detail
    assert bus.commands == []


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"action": "delete"}, "exactly one"),
        ({"action": "delete", "execution_ids": []}, "empty"),
        ({"action": "delete", "execution_ids": ["e-1"], "filter": {}}, "exactly one"),
        ({"action": "purge", "execution_ids": ["e-1"]}, "action"),
        ({"action": "delete", "filter": {"status": "done"}}, "status"),
        ({"action": "delete", "filter": {"time_field": "finished"}}, "time_field"),
        ({"action": "delete", "filter": {"colour": "red"}}, "colour"),
        ({"action": "delete", "filter": {"since": "yesterday"}}, "since"),
        ({"action": "delete", "execution_ids": ["e-1"], "operation_id": "../x"}, "operation_id"),
        (
            {
                "action": "delete",
                "filter": {"since": "2025-01-06T10:00:00+08:00", "until": "2025-01-06T09:00:00+08:00"},
            },
            "2025-01-06T10:00:00+08:00",
        ),
    ],
)
async def test_bad_bulk_requests_answer_422_naming_the_problem(
    client: httpx.AsyncClient, admin: dict[str, str], bus: RecordingBus, body: dict[str, Any], named: str
) -> None:
    response = await client.post(BULK, json=body, headers=admin | {"Accept-Language": "en"})

    assert response.status_code == 422, response.text
    assert named in response.text
    assert bus.commands == []


async def test_bulk_actions_are_for_admins_and_unknown_operations_are_explained(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    refused = await client.post(BULK, json={"action": "delete", "execution_ids": ["e-1"]}, headers=viewer)
    unknown = error(await client.get(f"{BULK}/nothing-here", headers=viewer | {"Accept-Language": "en"}), 404)

    assert refused.status_code == 403
    assert "re-send" in unknown


@dataclass
class StallingBus(RecordingBus):
    """Takes `batches` batches, then stalls until cancelled (the API process is stopped meanwhile); with
    `publish_then_stall`, the batch it stalls on is published first (stopped before its progress is kept)."""

    batches: int = 1
    publish_then_stall: bool = False
    stalled: asyncio.Event = field(default_factory=asyncio.Event)

    async def publish_many(self, messages: Sequence[Message]) -> None:
        if self.batches == 0:
            if self.publish_then_stall:
                await super().publish_many(messages)
            self.stalled.set()
            await asyncio.Event().wait()
        self.batches -= 1
        await super().publish_many(messages)


@pytest.fixture(params=["sqlite", "mongodb-emulated"])
def bulk_stores(
    request: pytest.FixtureRequest, settings: ApiSettings
) -> tuple[BulkActionStore, BulkActionStore]:
    """Two bulk-action stores over one database: one per API instance (SQLite file, MongoDB emulated)."""
    if request.param == "sqlite":
        return SQLiteBulkActions(settings.sqlite_file), SQLiteBulkActions(settings.sqlite_file)
    database = emulated_client()["test_bulk_actions"]
    return MongoBulkActions(database), MongoBulkActions(database)


async def _seed_finished_runs(store: SQLiteStore, count: int) -> list[str]:
    runs = {
        f"old-{number:04}": seed.execution(f"old-{number:04}", "old", minutes=number)
        for number in range(count)
    }
    await store.apply_changes(ReadModelChanges(executions=dict(runs)))
    return sorted(runs)


async def _stop_midway(
    make_client: AppFactory,
    bus: StallingBus,
    actions: BulkActionStore,
    admin: dict[str, str],
    **settings: str,
) -> dict[str, Any]:
    """Start a delete of every `old` run on a first API instance, stop that instance once `bus` stalls."""
    await actions.open()
    try:
        async with make_client(bus, bulk_actions=actions, **settings) as client:
            started = accepted(
                await client.post(BULK, json={"action": "delete", "filter": {"job_id": "old"}}, headers=admin)
            )
            await asyncio.wait_for(bus.stalled.wait(), timeout=5)
            progress: dict[str, Any] = ok(
                await client.get(f"{BULK}/{started['operation_id']}", headers=admin)
            )
            return progress
    finally:
        await actions.close()


async def _carried_on(
    make_client: AppFactory,
    bus: RecordingBus,
    actions: BulkActionStore,
    viewer: dict[str, str],
    operation_id: str,
    **settings: str,
) -> dict[str, Any]:
    """A second API instance over the same database: the operation's progress once it has ended."""
    await actions.open()
    try:
        async with make_client(bus, bulk_actions=actions, **settings) as client:
            return await _finished(client, viewer, operation_id)
    finally:
        await actions.close()


def _runs_sent(*buses: RecordingBus) -> list[str]:
    return [command.execution_id for bus in buses for command in bus.commands]  # type: ignore[attr-defined]


async def test_an_api_restart_midway_carries_the_operation_on_each_run_once(
    make_client: AppFactory,
    admin: dict[str, str],
    viewer: dict[str, str],
    store: SQLiteStore,
    bulk_stores: tuple[BulkActionStore, BulkActionStore],
) -> None:
    runs = await _seed_finished_runs(store, 250)
    first_bus, second_bus = StallingBus(batches=1), RecordingBus()

    midway = await _stop_midway(make_client, first_bus, bulk_stores[0], admin)
    done = await _carried_on(make_client, second_bus, bulk_stores[1], viewer, midway["operation_id"])

    assert (midway["state"], midway["sent"], midway["to_send"]) == ("running", 100, 250)
    assert (done["state"], done["sent"], done["to_send"], done["selected"]) == ("done", 250, 250, 250)
    assert len(_runs_sent(first_bus)) == 100
    assert sorted(_runs_sent(first_bus, second_bus)) == runs, "each run sent once"
    assert {command.message_id for command in second_bus.commands} == {
        command_id(midway["operation_id"], run) for run in set(runs) - set(_runs_sent(first_bus))
    }


async def test_a_batch_sent_before_the_restart_kept_its_progress_is_not_sent_again(
    make_client: AppFactory,
    admin: dict[str, str],
    viewer: dict[str, str],
    store: SQLiteStore,
    bulk_stores: tuple[BulkActionStore, BulkActionStore],
) -> None:
    runs = await _seed_finished_runs(store, 250)
    first_bus, second_bus = StallingBus(batches=1, publish_then_stall=True), RecordingBus()

    midway = await _stop_midway(make_client, first_bus, bulk_stores[0], admin)
    # The scheduler deleted the runs of both published batches; only the first batch's progress was kept.
    deleted = _runs_sent(first_bus)
    await store.apply_changes(ReadModelChanges(executions=dict.fromkeys(deleted)))
    done = await _carried_on(make_client, second_bus, bulk_stores[1], viewer, midway["operation_id"])

    assert (len(deleted), midway["sent"]) == (200, 100)
    assert (done["state"], done["sent"], done["to_send"]) == ("done", 250, 250)
    assert set(_runs_sent(second_bus)) == set(runs) - set(deleted)
    assert sorted(_runs_sent(first_bus, second_bus)) == runs, "each run sent once"


async def test_an_api_instance_carries_on_its_own_operations_only(
    make_client: AppFactory,
    admin: dict[str, str],
    viewer: dict[str, str],
    store: SQLiteStore,
    settings: ApiSettings,
) -> None:
    runs = await _seed_finished_runs(store, 150)
    first_bus, other_bus, again_bus = StallingBus(batches=1), RecordingBus(), RecordingBus()
    other_actions = SQLiteBulkActions(settings.sqlite_file)

    midway = await _stop_midway(
        make_client, first_bus, SQLiteBulkActions(settings.sqlite_file), admin, instance_id="a"
    )
    await other_actions.open()
    try:
        async with make_client(other_bus, bulk_actions=other_actions, instance_id="b") as other:
            seen = ok(await other.get(f"{BULK}/{midway['operation_id']}", headers=viewer))
    finally:
        await other_actions.close()
    done = await _carried_on(
        make_client,
        again_bus,
        SQLiteBulkActions(settings.sqlite_file),
        viewer,
        midway["operation_id"],
        instance_id="a",
    )

    assert (seen["state"], seen["sent"]) == ("running", 100), "another instance reads it, leaves it alone"
    assert other_bus.commands == []
    assert (done["state"], done["sent"]) == ("done", 150)
    assert sorted(_runs_sent(first_bus, again_bus)) == runs
