"""(9) command latency with read your writes: how long a command takes to answer once its effect shows.

Sequential commands over HTTP on `pipeline_canary`, each timed from the request to its answer:
- pause / resume, alternating, with the default `wait` (the answer comes once `GET /jobs` shows it);
- trigger with the default `wait` (once `GET /executions` lists the run);
- baseline: the same pause / resume with `wait=false` (validated and published with confirms, no wait).
Answers other than 200 (e.g. 202 "accepted, not yet applied" when the wait ran out) are counted apart.
Embedded (`services.embedded`) and distributed (api, scheduler, projector, one worker on RabbitMQ).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from collections.abc import Callable
from typing import Any

from bench.environment import Api
from bench.environment import BenchError
from bench.environment import api_session
from bench.environment import free_port
from bench.environment import fresh_dir
from bench.environment import one_worker_stack
from bench.environment import processes
from bench.environment import service_env
from bench.figures import percentile
from bench.plan import BenchRun

GROUP = "9 command latency (read your writes)"
CANARY = "/api/scheduler/jobs/pipeline_canary"
SERIES = {
    "pause_resume": "POST pause/resume → answered applied",
    "trigger": "POST trigger → answered applied (run listed)",
    "no_wait": "baseline: POST pause/resume with wait=false (published, not waited for)",
}


async def _timed(api: Api, path: str, expected: int, **request: Any) -> tuple[float, bool]:
    started = time.perf_counter()
    response = await api.http.post(path, headers=api.auth, **request)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code not in (200, 202):
        raise BenchError(f"command answered {response.status_code}: {response.text[:300]}")
    return elapsed, response.status_code == expected


async def command_series(api: Api, samples: int) -> dict[str, tuple[list[float], int]]:
    """Per series: the latencies (ms) and how many answers were not the expected status."""
    latencies: dict[str, list[float]] = {name: [] for name in SERIES}
    misses = dict.fromkeys(SERIES, 0)

    async def record(name: str, path: str, expected: int = 200, **request: Any) -> None:
        elapsed, as_expected = await _timed(api, path, expected, **request)
        latencies[name].append(elapsed)
        misses[name] += 0 if as_expected else 1

    zero_run = {"kwargs": {"duration_s": 0, "steps": 1}}
    for index in range(samples):
        await record("pause_resume", f"{CANARY}/{'resume' if index % 2 == 0 else 'pause'}")
        await record("trigger", f"{CANARY}/trigger", json=zero_run)
    for index in range(samples):
        action = "resume" if index % 2 == 0 else "pause"
        await record("no_wait", f"{CANARY}/{action}", 202, params={"wait": "false"})
    # Leave the canary as it was found (paused), so later measurements fire nothing on schedule.
    await api.http.post(f"{CANARY}/pause", headers=api.auth)
    return {name: (latencies[name], misses[name]) for name in SERIES}


def _declare(run: BenchRun, mode: str) -> None:
    for name, label in SERIES.items():
        for quantile in ("p50", "p99"):
            run.results.figure(
                f"commands.{mode}.{name}.{quantile}",
                GROUP,
                f"{mode}: {label} {quantile}",
                "ms",
                baseline=None if name == "no_wait" else f"commands.{mode}.no_wait.{quantile}",
            )


async def measure_command_latency(run: BenchRun, api: Api, mode: str) -> None:
    _declare(run, mode)
    for repetition in range(run.plan.repetitions):
        series = await command_series(api, run.plan.latency_samples)
        for name, (values, misses) in series.items():
            run.results.add(f"commands.{mode}.{name}.p50", percentile(values, 0.5))
            run.results.add(f"commands.{mode}.{name}.p99", percentile(values, 0.99))
            run.results.distribution(f"commands.{mode}.{name}", values)
            if misses:
                run.note(f"commands {mode} {name} #{repetition + 1}: {misses} answer(s) not applied in time")
        pause_resume, _ = series["pause_resume"]
        run.log(
            f"commands {mode} #{repetition + 1}: pause/resume p50 {percentile(pause_resume, 0.5):.1f} ms, "
            f"p99 {percentile(pause_resume, 0.99):.1f} ms"
        )
    note = (
        f"command latency: {run.plan.latency_samples} sequential commands per series and repetition, each "
        "timed from the request to its answer; with the default wait the answer comes once the reads show "
        "the effect (SCHEDULER_COMMAND_WAIT_S, default 2 s, else 202)"
    )
    if note not in run.results.notes:
        run.note(note)


# --- the sessions (their own stacks: nothing else runs meanwhile) ----------------------------------
Measure = Callable[[BenchRun, Api, str], Awaitable[None]]
"""What a session measures once its stack answers: (run, api, mode)."""


async def embedded_commands(run: BenchRun, measure: Measure = measure_command_latency) -> None:
    data_dir = fresh_dir(run.work_dir, "commands-embedded")
    port = free_port()
    with processes(data_dir) as group:
        group.start("services.embedded", service_env(data_dir, SCHEDULER_PORT=str(port)), "embedded")
        async with api_session(f"http://127.0.0.1:{port}", group.started) as api:
            await measure(run, api, "embedded")


async def distributed_commands(run: BenchRun, measure: Measure = measure_command_latency) -> None:
    data_dir = fresh_dir(run.work_dir, "commands-distributed")
    async with one_worker_stack(data_dir, "commands") as api:
        await measure(run, api, "distributed")


async def measure_commands(run: BenchRun) -> None:
    await embedded_commands(run)
    await distributed_commands(run)
