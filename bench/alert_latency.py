"""(12) alert latency: from a run's `JobFinished(failed)` to the webhook call that tells of it.

The embedded system with one JSON webhook channel on a loopback HTTP server that notes when each call
arrives. Each sample: the canary fails (one incident raised, notified), then succeeds (resolved, notified),
so every failure opens a new incident. The latency is the webhook's arrival time minus the run's
`finished_at` (the worker's clock, the same machine). Grouping off (`GROUP_WINDOW_S=0`): the default window
of 2 s adds up to 2 s, by design (failures that come together make one message).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from typing import Any

from bench.environment import Api
from bench.environment import BenchError
from bench.environment import api_session
from bench.environment import free_port
from bench.environment import fresh_dir
from bench.environment import processes
from bench.environment import service_env
from bench.environment import wait_for
from bench.figures import percentile
from bench.plan import BenchRun

GROUP = "12 alert latency"
SERIES = "JobFinished(failed) → webhook call, embedded, grouping off"


class Webhook:
    """Arrival times (wall clock, s) and titles of the calls received."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, str]] = []
        self.lock = threading.Lock()

    def titles(self) -> list[str]:
        with self.lock:
            return [title for _, title in self.calls]


@contextmanager
def webhook_server() -> Iterator[tuple[Webhook, int]]:
    hook = Webhook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            arrived = time.time()
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with hook.lock:
                hook.calls.append((arrived, str(json.loads(body).get("title", ""))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook, int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


async def _finished_at(api: Api, execution_id: str) -> float:
    response = await api.http.get(f"/api/scheduler/executions/{execution_id}", headers=api.auth)
    finished = response.json()["data"].get("finished_at")
    if not finished:
        raise BenchError(f"run {execution_id} has no finished_at")
    return datetime.fromisoformat(finished).timestamp()


async def _one_sample(api: Api, hook: Webhook) -> float:
    """The latency (ms) of one failure's notification; the run's success then resolves it."""
    before = len(hook.titles())
    failed = await api.trigger_canary(duration_s=0, steps=1, fail=True)
    await wait_for(lambda: _count_at_least(hook, before + 1), timeout=30, interval=0.01, what="the alert")
    arrived = hook.calls[before][0]
    await wait_for(
        lambda: _status_is(api, failed, "failed"), timeout=30, interval=0.05, what="the failed run"
    )
    latency = (arrived - await _finished_at(api, failed)) * 1000
    fixed = await api.trigger_canary(duration_s=0, steps=1)
    await wait_for(
        lambda: _count_at_least(hook, before + 2), timeout=30, interval=0.01, what="the resolution"
    )
    await wait_for(lambda: _status_is(api, fixed, "success"), timeout=30, interval=0.05, what="the success")
    return latency


async def _count_at_least(hook: Webhook, count: int) -> bool:
    return len(hook.titles()) >= count


async def _status_is(api: Api, execution_id: str, status: str) -> bool:
    return await api.canary_status(execution_id) == status


async def measure_alerts(run: BenchRun) -> None:
    run.results.figure("alerts.embedded.p50", GROUP, f"{SERIES} p50", "ms")
    run.results.figure("alerts.embedded.p99", GROUP, f"{SERIES} p99", "ms")
    samples = max(10, run.plan.latency_samples // 3)
    for repetition in range(run.plan.repetitions):
        data_dir = fresh_dir(run.work_dir, f"alerts-{repetition}")
        port = free_port()
        with webhook_server() as (hook, hook_port), processes(data_dir) as group:
            env = service_env(
                data_dir, SCHEDULER_PORT=str(port),
                SCHEDULER_ALERTS__CHANNELS=json.dumps([f"json://127.0.0.1:{hook_port}/hook"]),
                SCHEDULER_ALERTS__GROUP_WINDOW_S="0",
            )  # fmt: skip
            group.start("services.embedded", env, "embedded")
            async with api_session(f"http://127.0.0.1:{port}", group.started) as api:
                values = [await _one_sample(api, hook) for _ in range(samples)]
                await api.http.post("/api/scheduler/jobs/pipeline_canary/pause", headers=api.auth)
        run.results.add("alerts.embedded.p50", percentile(values, 0.5))
        run.results.add("alerts.embedded.p99", percentile(values, 0.99))
        run.results.distribution("alerts.embedded", values)
        run.log(f"alerts #{repetition + 1}: p50 {percentile(values, 0.5):.1f} ms, "
                f"p99 {percentile(values, 0.99):.1f} ms over {samples} failures")  # fmt: skip
    run.note(
        "alert latency: the canary fails then succeeds, each failure's webhook call timed from the run's "
        "finished_at; grouping off (the default GROUP_WINDOW_S=2 adds up to 2 s)"
    )
