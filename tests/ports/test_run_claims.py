"""The run-claims port, against every adapter (in-process, SQLite file, MongoDB real or emulated): each
(execution, attempt) is won by exactly one claim, whoever asks and however often."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from infrastructure.store.claims_port import LocalRunClaims
from infrastructure.store.claims_port import RunClaims
from infrastructure.store.mongo_claims import MongoRunClaims
from infrastructure.store.port import StoreUnavailable
from infrastructure.store.sqlite_claims import SQLiteRunClaims
from infrastructure.store.sqlite_claims import claims_file

from .conftest_mongo import mongodb_backend
from .conftest_mongo import mongodb_database


@pytest.fixture(
    params=[pytest.param("local", id="local"), pytest.param("sqlite", id="sqlite"), mongodb_backend()]
)
async def claims(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RunClaims]:
    """Open run claims of the parametrised adapter, closed after the test."""
    backend: str = request.param
    if backend == "local":
        local = LocalRunClaims()
        await local.open()
        yield local
        await local.close()
    elif backend == "sqlite":
        sqlite = SQLiteRunClaims(tmp_path / "data" / "scheduler.sqlite3")
        await sqlite.open()
        yield sqlite
        await sqlite.close()
    else:
        async with mongodb_database(backend, "test_claims") as (client, database):
            mongo = MongoRunClaims(client[database])
            await mongo.open()
            yield mongo
            await mongo.close()


async def test_the_first_claim_wins_and_every_later_one_loses(claims: RunClaims) -> None:
    assert await claims.claim_run("x-1", 1, "w1")
    assert not await claims.claim_run("x-1", 1, "w2")
    assert not await claims.claim_run("x-1", 1, "w1"), "a worker asking again does not win twice"


async def test_each_attempt_and_each_execution_is_claimed_on_its_own(claims: RunClaims) -> None:
    assert await claims.claim_run("x-1", 1, "w1")
    assert await claims.claim_run("x-1", 2, "w2"), "a retry is a new attempt"
    assert await claims.claim_run("x-2", 1, "w2")
    assert not await claims.claim_run("x-1", 2, "w1")


async def test_concurrent_claims_of_one_attempt_have_exactly_one_winner(claims: RunClaims) -> None:
    results = await asyncio.gather(*(claims.claim_run("x-1", 1, f"w{index}") for index in range(8)))

    assert sorted(results) == [False] * 7 + [True]


async def test_claims_are_shared_by_every_process_on_the_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "scheduler.sqlite3"
    first, second = SQLiteRunClaims(path), SQLiteRunClaims(path)
    await first.open()
    await second.open()
    try:
        assert await first.claim_run("x-1", 1, "w1")
        assert not await second.claim_run("x-1", 1, "w2")
    finally:
        await first.close()
        await second.close()


async def test_sqlite_claims_used_before_open_are_unavailable(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable):
        await SQLiteRunClaims(tmp_path / "scheduler.sqlite3").claim_run("x-1", 1, "w1")


def test_the_claims_file_sits_beside_the_stores() -> None:
    assert claims_file(Path("data/scheduler.sqlite3")) == Path("data/scheduler-claims.sqlite3")
    assert claims_file(Path("/srv/jobs.db")) == Path("/srv/jobs-claims.db")


async def test_a_claim_does_not_wait_for_a_writer_of_the_stores_file(tmp_path: Path) -> None:
    store_file = tmp_path / "scheduler.sqlite3"
    claims = SQLiteRunClaims(claims_file(store_file), earlier=store_file)
    await claims.open()
    writer = sqlite3.connect(store_file, isolation_level=None)
    try:
        writer.execute("PRAGMA journal_mode = WAL")
        writer.execute("BEGIN IMMEDIATE")  # the projector in the middle of a batch: the file's write lock
        assert await claims.claim_run("x-1", 1, "w1")
        assert not await claims.claim_run("x-1", 1, "w2")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        await claims.close()


async def test_the_claims_an_earlier_version_kept_in_the_stores_file_are_taken_over_once(
    tmp_path: Path,
) -> None:
    store_file = tmp_path / "scheduler.sqlite3"
    before = SQLiteRunClaims(store_file)  # where earlier versions kept them
    await before.open()
    assert await before.claim_run("x-1", 1, "w1")
    first, second = (SQLiteRunClaims(claims_file(store_file), earlier=store_file) for _ in range(2))
    await asyncio.gather(first.open(), second.open())  # two processes starting together
    try:
        assert not await second.claim_run("x-1", 1, "w2"), "claimed before the upgrade: never run again"
        assert await first.claim_run("x-1", 2, "w2")
        # A row the store's file gets after the take-over (only a process of an earlier version writes there):
        assert await before.claim_run("x-3", 1, "w1")
        await first.close()
        await first.open()
        assert await first.claim_run("x-3", 1, "w2"), "taken over once, not at every opening"
    finally:
        await asyncio.gather(before.close(), first.close(), second.close())


async def test_a_claims_file_without_an_earlier_one_starts_empty(tmp_path: Path) -> None:
    store_file = tmp_path / "scheduler.sqlite3"
    claims = SQLiteRunClaims(claims_file(store_file), earlier=store_file)
    await claims.open()
    try:
        assert await claims.claim_run("x-1", 1, "w1")
        assert not store_file.exists(), "the store's file is not created by the claims"
    finally:
        await claims.close()
