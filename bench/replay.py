"""(7) Replay: events per second rebuilding the read models from stored events, and checking them.

The event store is generated (seeded) with the product's insert statement and document encoding, cached
like the read path's data set. On a copy of it the real command is timed (wall clock, process start-up
included): `python -m services.projector replay` (rebuild and swap in), then on the same copy, now holding
the read models it built, `python -m services.projector replay --verify` (rebuild and compare; it must find
them identical). The baseline is SQLite itself: the same rows read and written back in one transaction with
`executemany`.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import shutil
import sqlite3
import sys
import time
from pathlib import Path

from bench import workload
from bench.environment import CACHE_DIR
from bench.environment import BenchError
from bench.environment import fresh_dir
from bench.environment import service_env
from bench.figures import Goal
from bench.plan import BenchRun
from contracts.codec import to_document
from contracts.envelope import Event
from domain.records import as_utc_key
from infrastructure.store import sqlite_schema
from infrastructure.store.documents import encode_event_document
from infrastructure.store.documents import event_fields
from infrastructure.store.sqlite_store import SQLiteStore

GROUP = "7 replay"
BATCH = 20_000


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


async def command_once(data_dir: Path, count: int, *arguments: str) -> float:
    """Events per second of `python -m services.projector replay [arguments]` on the store in `data_dir`
    (wall time, start-up included); BenchError if it fails (or, with --verify, finds differences)."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.projector",
        "replay",
        *arguments,
        env=service_env(data_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,  # the progress bar
    )
    output, _ = await asyncio.wait_for(process.communicate(), 3600)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise BenchError(
            f"python -m services.projector replay {' '.join(arguments)} exited with {process.returncode}:\n"
            + output.decode(errors="replace")[-3000:]
        )
    return count / elapsed


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
    results = run.results
    results.figure(
        "replay.sqlite.per_s", GROUP, "baseline: SQLite read + bulk insert of the same rows", "rows/s"
    )
    results.figure(
        "replay.per_s",
        GROUP,
        f"python -m services.projector replay, {count:,} events",
        "events/s",
        baseline="replay.sqlite.per_s",
        note=f"the real command on a copy of {count:,} generated events (JobRegistered per job, then "
        "RunQueued/JobStarted/Progress/JobFinished per execution), no read models yet; wall clock with the "
        "process start-up",
    )
    results.figure(
        "replay.seconds_for_target",
        GROUP,
        f"time for {target:,} events" + ("" if count >= target else " (extrapolated)"),
        "s",
        goal=Goal("<", 60),
    )
    results.figure(
        "replay.verify.per_s",
        GROUP,
        "python -m services.projector replay --verify, same store after the replay",
        "events/s",
        baseline="replay.sqlite.per_s",
        note="rebuild into fresh tables, compare with the read models the replay swapped in (must be "
        "identical), drop the fresh tables",
    )
    source = await ensure_event_store(run, count)
    for repetition in range(min(run.plan.repetitions, run.plan.replay_repetitions)):
        directory = fresh_dir(run.work_dir, f"replay-{repetition}")
        ceiling = await asyncio.to_thread(sqlite_ceiling, source, directory / "copy.sqlite3")
        results.add("replay.sqlite.per_s", ceiling)
        data_dir = fresh_dir(run.work_dir, f"replay-{repetition}")
        await asyncio.to_thread(shutil.copy, source, data_dir / "scheduler.sqlite3")
        rate = await command_once(data_dir, count)
        results.add("replay.per_s", rate)
        results.add("replay.seconds_for_target", target / rate)
        verify_rate = await command_once(data_dir, count, "--verify")
        results.add("replay.verify.per_s", verify_rate)
        run.log(
            f"replay #{repetition + 1}: {rate:,.0f} events/s ({target / rate:.0f} s for {target:,}); "
            f"--verify {verify_rate:,.0f} events/s"
        )
        shutil.rmtree(data_dir, ignore_errors=True)  # a copy of the store: up to a few GB
