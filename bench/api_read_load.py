"""Latency of `GET /api/scheduler/executions` with filters over 1,000,000 stored executions (embedded store).

Not a test (pytest does not collect it): a benchmark, meant for `bench/` (kept here by file ownership).
Run: `.venv/bin/python -m tests.api.bench_executions [--rows 1000000] [--requests 3000] [--concurrency 4]`.

1. Fills a fresh SQLite store (in a temporary directory) with `--rows` executions of the 17 catalogue jobs
   (statuses and manual flags in realistic proportions), through the store's schema in one transaction.
2. Starts the API as its own process (`python -m services.api`, uvicorn, in-memory bus) on loopback.
3. From this process, `--concurrency` clients send `--requests` requests with the web client's filters
   (job_id, status, is_manual, their combinations, first pages and deeper offsets), and it prints
   p50 / p95 / p99 / max latency and the request rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from domain.records import ExecutionRecord, as_utc_key
from infrastructure.store.sqlite_store import SQLiteStore
from services.api.auth import issue_token
from services.api.presets import PRESETS
from services.api.settings import ApiSettings

JOBS = sorted(PRESETS)
STATUSES = ["success"] * 90 + ["failed"] * 5 + ["missed"] * 2 + ["skipped"] * 2 + ["cancelled"]
SECRET = "bench-secret-" + "b" * 40
PORT = 8799


def fill(path: Path, rows: int) -> None:
    asyncio.run(_create_schema(path))
    start = datetime(2023, 1, 1, tzinfo=UTC)
    randomness = random.Random(7)
    connection = sqlite3.connect(path)
    with connection:
        batch: list[tuple[object, ...]] = []
        for index in range(rows):
            job_id = JOBS[index % len(JOBS)]
            timestamp = start + timedelta(seconds=30 * index)
            status = randomness.choice(STATUSES)
            record = ExecutionRecord(
                execution_id=f"{job_id}:{index:08d}",
                job_id=job_id,
                job_name=PRESETS[job_id][0],
                status=status,
                scheduled_time=timestamp,
                timestamp=timestamp,
                started_at=timestamp,
                finished_at=timestamp + timedelta(seconds=12),
                execution_time=12.0,
                updated_at=timestamp,
                is_manual=randomness.random() < 0.05,
            )
            batch.append(
                (
                    record.execution_id,
                    job_id,
                    status,
                    int(record.is_manual),
                    as_utc_key(timestamp),
                    record.execution_time,
                    record.model_dump_json(),
                )
            )
            if len(batch) == 50_000:
                _insert(connection, batch)
                batch = []
        _insert(connection, batch)
    connection.execute("ANALYZE")
    connection.close()


async def _create_schema(path: Path) -> None:
    store = SQLiteStore(path)
    await store.open()
    await store.close()


def _insert(connection: sqlite3.Connection, batch: list[tuple[object, ...]]) -> None:
    connection.executemany(
        "INSERT INTO scheduler_executions"
        " (execution_id, job_id, status, is_manual, timestamp, execution_time, document)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        batch,
    )


def queries(count: int) -> list[dict[str, str | int]]:
    randomness = random.Random(11)
    shapes: list[dict[str, str | int]] = []
    for _ in range(count):
        params: dict[str, str | int] = {"limit": randomness.choice([20, 50])}
        kind = randomness.randrange(6)
        if kind in (1, 4, 5):
            params["job_id"] = randomness.choice(JOBS)
        if kind in (2, 4):
            params["status"] = randomness.choice(["success", "failed", "missed", "running"])
        if kind in (3, 5):
            params["is_manual"] = randomness.choice(["true", "false"])
        params["offset"] = randomness.choice([0, 0, 0, 50, 200, 1000])
        shapes.append(params)
    return shapes


async def load(requests: int, concurrency: int, token: str) -> list[float]:
    latencies: list[float] = []
    pending = queries(requests)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", headers=headers) as client:
        for params in queries(20):  # warm-up, not measured
            (await client.get("/api/scheduler/executions", params=params)).raise_for_status()

        async def worker() -> None:
            while pending:
                params = pending.pop()
                began = time.perf_counter()
                response = await client.get("/api/scheduler/executions", params=params)
                latencies.append(time.perf_counter() - began)
                response.raise_for_status()

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def wait_ready(deadline_s: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{PORT}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit("the API did not become ready")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=4)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        data_dir = Path(directory)
        began = time.perf_counter()
        fill(data_dir / "scheduler.sqlite3", arguments.rows)
        print(f"stored {arguments.rows:,} executions in {time.perf_counter() - began:.0f} s")
        environment = {
            **os.environ,
            "SCHEDULER_DATA_DIR": str(data_dir),
            "SCHEDULER_PORT": str(PORT),
            "SCHEDULER_JWT_SECRET": SECRET,
            "SCHEDULER_ADMIN_USERNAME": "bench",
            "SCHEDULER_ADMIN_PASSWORD": "bench-password",
            "SCHEDULER_LOG_LEVEL": "WARNING",
        }
        server = subprocess.Popen([sys.executable, "-m", "services.api"], env=environment)
        try:
            wait_ready()
            token = issue_token("bench", ApiSettings(jwt_secret=SECRET, _env_file=None))
            began = time.perf_counter()
            latencies = asyncio.run(load(arguments.requests, arguments.concurrency, token))
            elapsed = time.perf_counter() - began
        finally:
            server.terminate()
            server.wait(timeout=30)
    cuts = statistics.quantiles(latencies, n=100)
    result = {
        "rows": arguments.rows,
        "requests": len(latencies),
        "concurrency": arguments.concurrency,
        "rate_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(cuts[49] * 1000, 1),
        "p95_ms": round(cuts[94] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
