"""(6) Read path: `GET /api/scheduler/executions` over N stored executions, under load from a 2nd process.

The data set is generated into a SQLite file with the product's own schema and upsert statement
(`infrastructure.store.sqlite_schema`), deterministic (seeded), and cached under `bench/results/cache`
keyed by size, seed and a hash of the schema and the generator; each run works on a copy. An embedded
server (`python -m services.embedded`) is started on the copy; `bench.read_load` loads it.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import shutil
import sqlite3
import sys
from pathlib import Path

from bench import workload
from bench.environment import CACHE_DIR
from bench.environment import RssSampler
from bench.environment import api_session
from bench.environment import free_port
from bench.environment import fresh_dir
from bench.environment import processes
from bench.environment import service_env
from bench.figures import Goal
from bench.figures import percentile
from bench.plan import BenchRun
from infrastructure.store import sqlite_schema
from infrastructure.store.sqlite_read_models import execution_row
from infrastructure.store.sqlite_store import SQLiteStore

GROUP = "6 read path"
BATCH = 20_000
WARM_UP_S = 2.0


def dataset_path(count: int, seed: int) -> Path:
    fingerprint = hashlib.sha1(
        (sqlite_schema.SCHEMA + sqlite_schema.UPSERT_EXECUTION + inspect.getsource(workload)).encode()
    ).hexdigest()[:10]
    return CACHE_DIR / f"executions-{count}-{seed}-{fingerprint}.sqlite3"


def _bulk_insert(path: Path, count: int, seed: int) -> None:
    """Drop the execution indexes, insert every row with the store's upsert, build the indexes again
    (from the store's own schema script): much faster than inserting into eight indexes row by row."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("PRAGMA cache_size = -262144")
        indexes = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'scheduler_executions'"
                " AND name LIKE 'ix_%'"
            )
        ]
        connection.execute("BEGIN")
        for name in indexes:
            connection.execute(f"DROP INDEX {name}")
        rows = []
        for record in workload.execution_records(count, seed):
            rows.append(execution_row(record))  # the row the store writes
            if len(rows) == BATCH:
                connection.executemany(sqlite_schema.UPSERT_EXECUTION, rows)
                rows.clear()
        if rows:
            connection.executemany(sqlite_schema.UPSERT_EXECUTION, rows)
        connection.execute("COMMIT")
        connection.executescript(f"BEGIN;{sqlite_schema.SCHEMA}COMMIT;")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


async def ensure_dataset(run: BenchRun, count: int) -> Path:
    path = dataset_path(count, run.plan.seed)
    if path.exists():
        run.log(f"read path: using cached data set {path.name}")
        return path
    run.log(f"read path: generating {count:,} executions (seed {run.plan.seed}) ...")
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_suffix(".building")
    for leftover in path.parent.glob(building.name + "*"):
        leftover.unlink()
    store = SQLiteStore(building)  # the product creates its tables and indexes
    await store.open()
    await store.close()
    await asyncio.to_thread(_bulk_insert, building, count, run.plan.seed)
    building.rename(path)
    run.log("read path: data set ready")
    return path


async def load_once(run: BenchRun, base_url: str, token: str, seconds: float, seed: int) -> dict[str, object]:
    output = run.work_dir / f"read-load-{seed}.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.read_load",
        base_url,
        str(run.plan.read_concurrency),
        str(seconds),
        str(seed),
        str(output),
        env={**service_env(run.work_dir), "BENCH_TOKEN": token},
        stdout=asyncio.subprocess.DEVNULL,
    )
    code = await asyncio.wait_for(process.wait(), seconds + 120)
    if code != 0:
        raise RuntimeError(f"bench.read_load exited with {code}")
    outcome: dict[str, object] = json.loads(output.read_text())
    return outcome


def declare_figures(run: BenchRun, count: int) -> None:
    results = run.results
    results.figure("read.healthz.p50", GROUP, "baseline: GET /healthz under the same load p50", "ms")
    results.figure("read.healthz.p99", GROUP, "baseline: GET /healthz under the same load p99", "ms")
    results.figure(
        "read.executions.p50",
        GROUP,
        f"GET /executions, filters + paging, {count:,} stored p50",
        "ms",
        baseline="read.healthz.p50",
    )
    results.figure(
        "read.executions.p99",
        GROUP,
        f"GET /executions, filters + paging, {count:,} stored p99",
        "ms",
        goal=Goal("<", 50),
        baseline="read.healthz.p99",
    )
    results.figure("read.requests_per_s", GROUP, "requests per second served (all kinds)", "req/s")
    results.figure("read.errors", GROUP, "non-200 answers", "count")
    results.figure(
        "memory.embedded.read",
        "8 memory (RSS)",
        f"embedded, read load on {count:,} executions (peak)",
        "MiB",
        baseline="memory.python.bare",
    )


async def measure_read_path(run: BenchRun) -> None:
    count = run.plan.read_executions
    declare_figures(run, count)
    source = await ensure_dataset(run, count)
    data_dir = fresh_dir(run.work_dir, "read")
    shutil.copy(source, data_dir / "scheduler.sqlite3")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    results = run.results
    with processes(data_dir) as group:
        server = group.start("services.embedded", service_env(data_dir, SCHEDULER_PORT=str(port)), "embedded")
        async with api_session(base_url, group.started, timeout=180) as api:
            await load_once(run, base_url, api.token, WARM_UP_S, run.plan.seed - 1)
            for repetition in range(run.plan.repetitions):
                async with RssSampler({"embedded": server.pid}) as sampler:
                    outcome = await load_once(
                        run, base_url, api.token, run.plan.read_load_s, run.plan.seed + repetition
                    )
                latencies = outcome["latencies"]
                assert isinstance(latencies, dict)
                executions, healthz = latencies["executions"], latencies["healthz"]
                for kind, values in (("executions", executions), ("healthz", healthz)):
                    results.add(f"read.{kind}.p50", percentile(values, 0.5))
                    results.add(f"read.{kind}.p99", percentile(values, 0.99))
                elapsed = outcome["elapsed_s"]
                assert isinstance(elapsed, float)
                results.add("read.requests_per_s", (len(executions) + len(healthz)) / elapsed)
                results.add("read.errors", float(outcome["errors"]))  # type: ignore[arg-type]
                results.add("memory.embedded.read", sampler.peaks.get("embedded", float("nan")))
                results.distribution("latency.read.executions", executions)
                run.log(
                    f"read path #{repetition + 1}: {len(executions)} queries, p50 "
                    f"{percentile(executions, 0.5):.1f} ms, p99 {percentile(executions, 0.99):.1f} ms"
                )
    results.figures["read.executions.p50"].note = (
        f"closed loop, {run.plan.read_concurrency} connections from a 2nd process (async httpx), "
        f"{run.plan.read_load_s:g} s per repetition after a {WARM_UP_S:g} s warm-up; "
        "mix of no filter / job_id / status / is_manual and combinations, limit 20–100, pages 0–19; "
        "1 in 10 requests GET /healthz"
        + ("" if count >= 1_000_000 else f"; {count:,} executions here, `make bench-full` uses 1,000,000")
    )
