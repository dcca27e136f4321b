"""The second process of (6): closed-loop HTTP load on `GET /api/scheduler/executions`.

`python -m bench.read_load BASE_URL CONCURRENCY DURATION_S SEED OUTPUT` (bearer token in BENCH_TOKEN):
CONCURRENCY connections each send one request after another for DURATION_S seconds: 9 in 10 an executions
query with filters and paging drawn from the seeded mix below, 1 in 10 `GET /healthz` (the HTTP floor,
measured under the same load). Writes every latency (ms) per kind, the error count and the elapsed time
to OUTPUT as JSON.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench.workload import JOB_IDS
from bench.workload import STATUS_WEIGHTS

HEALTHZ_SHARE = 0.1
LIMITS = (20, 50, 100)
# (share, filters): the web console's views — all runs, one job's runs, by status, manual only, mixes.
QUERY_MIX: tuple[tuple[float, tuple[str, ...]], ...] = (
    (0.20, ()),
    (0.25, ("job_id",)),
    (0.20, ("status",)),
    (0.15, ("job_id", "status")),
    (0.10, ("is_manual",)),
    (0.10, ("job_id", "is_manual")),
)
MAX_PAGE = 20


def executions_query(rng: random.Random) -> dict[str, Any]:
    shares = [share for share, _ in QUERY_MIX]
    filters = rng.choices([names for _, names in QUERY_MIX], shares)[0]
    limit = rng.choice(LIMITS)
    params: dict[str, Any] = {"limit": limit, "offset": limit * rng.randrange(MAX_PAGE)}
    if "job_id" in filters:
        params["job_id"] = rng.choice(JOB_IDS)
    if "status" in filters:
        params["status"] = rng.choices(list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()))[0]
    if "is_manual" in filters:
        params["is_manual"] = rng.choice(("true", "false"))
    return params


async def load(base_url: str, token: str, concurrency: int, duration_s: float, seed: int) -> dict[str, Any]:
    latencies: dict[str, list[float]] = {"executions": [], "healthz": []}
    errors = 0
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits, headers=headers) as http:
        deadline = time.perf_counter() + duration_s

        async def connection(number: int) -> None:
            nonlocal errors
            rng = random.Random(seed * 1000 + number)
            while time.perf_counter() < deadline:
                kind = "healthz" if rng.random() < HEALTHZ_SHARE else "executions"
                path = "/healthz" if kind == "healthz" else "/api/scheduler/executions"
                params = {} if kind == "healthz" else executions_query(rng)
                started = time.perf_counter()
                response = await http.get(path, params=params)
                latencies[kind].append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(connection(number) for number in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"latencies": latencies, "errors": errors, "elapsed_s": elapsed}


def main() -> None:
    base_url, concurrency, duration_s, seed, output = sys.argv[1:6]
    outcome = asyncio.run(
        load(base_url, os.environ["BENCH_TOKEN"], int(concurrency), float(duration_s), int(seed))
    )
    Path(output).write_text(json.dumps(outcome))
    print("done", flush=True)


if __name__ == "__main__":
    main()
