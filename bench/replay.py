"""(7) Replay: events per second rebuilding the read models from stored events.

The event store is generated (seeded) with the product's insert statement and document encoding, cached
like the read path's data set. When `services.projector.replay` exists, its command
(`python -m services.projector replay`) is timed on a copy; until then the stand-in is measured: read the
store with `SQLiteStore.iter_events`, decode each document (`contracts.codec.from_document`) and apply it
with `Projector.apply` to a fresh SQLite store. The baseline is SQLite itself: the same rows read and
written back in one transaction with `executemany`.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import inspect
import shutil
import sqlite3
import sys
import time
from pathlib import Path

from bench import workload
from bench.environment import CACHE_DIR, fresh_dir, service_env
from bench.figures import Goal
from bench.plan import BenchRun
from contracts.codec import from_document, to_document
from contracts.envelope import Event
from domain.records import as_utc_key
from infrastructure.store import sqlite_schema
from infrastructure.store.documents import encode_event_document, event_fields
from infrastructure.store.sqlite_store import SQLiteStore
from services.projector.projector import Projector

GROUP = "7 replay"
BATCH = 20_000


def replay_command_exists() -> bool:
    return importlib.util.find_spec("services.projector.replay") is not None


def event_store_path(count: int, seed: int) -> Path:
    fingerprint = hashlib.sha1(
        (sqlite_schema.SCHEMA + sqlite_schema.INSERT_EVENT + inspect.getsource(workload)).encode()
    ).hexdigest()[:10]
    return CACHE_DIR / f"events-{count}-{seed}-{fingerprint}.sqlite3"


def _row(event: Event) -> tuple[object, ...]:
    document = to_document(event)
    fields = event_fields(document)
    return (
        fields.message_id,
        fields.type,
        fields.job_id,
        fields.execution_id,
        fields.actor,
        as_utc_key(fields.occurred_at),
        encode_event_document(document),
    )


def _bulk_insert(path: Path, count: int, seed: int) -> None:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("BEGIN")
        events = workload.execution_events(count, seed)
        for start in range(0, len(events), BATCH):
            connection.executemany(
                sqlite_schema.INSERT_EVENT, [_row(e) for e in events[start : start + BATCH]]
            )
        connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


async def ensure_event_store(run: BenchRun, count: int) -> Path:
    path = event_store_path(count, run.plan.seed)
    if path.exists():
        run.log(f"replay: using cached event store {path.name}")
        return path
    run.log(f"replay: generating {count:,} stored events (seed {run.plan.seed}) ...")
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_suffix(".building")
    for leftover in path.parent.glob(building.name + "*"):
        leftover.unlink()
    store = SQLiteStore(building)
    await store.open()
    await store.close()
    await asyncio.to_thread(_bulk_insert, building, count, run.plan.seed)
    building.rename(path)
    return path


async def stand_in_once(source: Path, target: Path) -> float:
    """Events per second: iterate the stored events in batches, decode, `Projector.apply_batch` into a
    fresh store."""
    events_store, read_models = SQLiteStore(source), SQLiteStore(target)
    await events_store.open()
    await read_models.open()
    projector = Projector(read_models)
    applied = 0
    try:
        started = time.perf_counter()
        async for batch in events_store.iter_events():
            events = [from_document(stored.document) for stored in batch]
            assert all(isinstance(event, Event) for event in events)
            await projector.apply_batch(events)  # type: ignore[arg-type]
            applied += len(events)
        elapsed = time.perf_counter() - started
    finally:
        await events_store.close()
        await read_models.close()
    return applied / elapsed


async def command_once(run: BenchRun, source: Path, count: int, repetition: int) -> float:
    """Events per second of `python -m services.projector replay` on a copy (wall time, start-up included)."""
    data_dir = fresh_dir(run.work_dir, f"replay-{repetition}")
    shutil.copy(source, data_dir / "scheduler.sqlite3")
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.projector",
        "replay",
        env=service_env(data_dir),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    code = await asyncio.wait_for(process.wait(), 3600)
    if code != 0:
        raise RuntimeError(f"python -m services.projector replay exited with {code}")
    return count / (time.perf_counter() - started)


def sqlite_ceiling(source: Path, target: Path) -> float:
    """Rows per second: read every stored event and write it to a fresh table in one transaction."""
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    writer = sqlite3.connect(target, isolation_level=None)
    try:
        writer.execute("CREATE TABLE copy (message_id TEXT PRIMARY KEY, document TEXT NOT NULL)")
        started = time.perf_counter()
        writer.execute("BEGIN")
        cursor = reader.execute("SELECT message_id, document FROM scheduler_events ORDER BY position")
        copied = 0
        while rows := cursor.fetchmany(BATCH):
            writer.executemany("INSERT INTO copy VALUES (?, ?)", rows)
            copied += len(rows)
        writer.execute("COMMIT")
        return copied / (time.perf_counter() - started)
    finally:
        reader.close()
        writer.close()


async def measure_replay(run: BenchRun) -> None:
    count = run.plan.replay_events
    target = run.plan.replay_target
    real = replay_command_exists()
    what = "python -m services.projector replay" if real else "STAND-IN: iter_events + Projector.apply"
    results = run.results
    results.figure(
        "replay.sqlite.per_s", GROUP, "baseline: SQLite read + bulk insert of the same rows", "rows/s"
    )
    results.figure(
        "replay.per_s", GROUP, f"{what}, {count:,} events", "events/s", baseline="replay.sqlite.per_s"
    )
    results.figure(
        "replay.seconds_for_target",
        GROUP,
        f"time for {target:,} events" + ("" if count >= target else " (extrapolated)"),
        "s",
        goal=Goal("<", 60),
    )
    source = await ensure_event_store(run, count)
    for repetition in range(min(run.plan.repetitions, run.plan.replay_repetitions)):
        directory = fresh_dir(run.work_dir, f"replay-{repetition}")
        ceiling = await asyncio.to_thread(sqlite_ceiling, source, directory / "copy.sqlite3")
        results.add("replay.sqlite.per_s", ceiling)
        if real:
            rate = await command_once(run, source, count, repetition)
        else:
            rate = await stand_in_once(source, directory / "scheduler.sqlite3")
        results.add("replay.per_s", rate)
        results.add("replay.seconds_for_target", target / rate)
        run.log(f"replay #{repetition + 1}: {rate:,.0f} events/s ({target / rate:.0f} s for {target:,})")
    results.figures["replay.per_s"].note = (
        ("the replay command" if real else "the replay command does not exist yet; stand-in measured")
        + f"; {count:,} generated events (JobRegistered per job, then RunQueued/JobStarted/Progress/"
        "JobFinished per execution)"
    )
