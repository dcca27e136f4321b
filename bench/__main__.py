"""`python -m bench [--full] [--only NAME ...] [--repetitions N]`: run the measurements, print the table,
write `bench/results/latest.json` (and `latest.png` when matplotlib is there), and a dated summary
`bench/results/summaries/<date>-<plan>-<commit>.md` (commit, machine, load, table) meant to be committed."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable
from collections.abc import Callable
from dataclasses import asdict
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.environment import RESULTS_DIR
from bench.environment import ROOT
from bench.environment import broker_reachable
from bench.environment import event_loop_kind
from bench.figures import Results
from bench.plan import FULL
from bench.plan import QUICK
from bench.plan import BenchRun
from bench.plan import Plan
from bench.profile_summary import render as render_profiles
from bench.report import render_table
from bench.report import write_plot
from infrastructure.event_loop import run as run_on_loop

Measurement = Callable[[BenchRun], Awaitable[None]]


# name -> (module, function); modules are imported only when their measurement runs (Celery, the product).
MEASUREMENTS = {
    "throughput": ("bench.throughput", "measure_transport_and_events"),  # (1) and (2)
    "services": ("bench.services", "measure_services"),  # (3), (4) and (8), with Celery beside (3)
    "fire": ("bench.fire_precision", "measure_fire_precision"),  # (5)
    "read": ("bench.read_path", "measure_read_path"),  # (6)
    "replay": ("bench.replay", "measure_replay"),  # (7)
    "commands": ("bench.command_latency", "measure_commands"),  # (9)
    "run_logs": ("bench.run_logs", "measure_run_logs"),  # (10)
    "quorum": ("bench.quorum", "measure_quorum"),  # (11) quorum vs classic queues, 1 node and 3
    "alerts": ("bench.alert_latency", "measure_alerts"),  # (12)
    "one_off": ("bench.one_off_lag", "measure_one_off_runs"),  # (13)
    "dependencies": ("bench.dependency_latency", "measure_dependencies"),  # (14)
    "scaling": ("bench.scaling", "measure_scaling"),  # (15) 1, 2, 4, 8 workers; scheduler+projector ceiling
    "reschedule": ("bench.reschedule_latency", "measure_reschedule"),  # (16) PATCH → list shows next run
    "backfill": ("bench.backfill", "measure_backfills"),  # (17) a canary backfill of 250 trading days
    "first_start": ("bench.first_start", "measure_first_start"),  # (18) fresh clone → make run / make test
}
# Measured only when named with --only: one sample takes minutes and the empty cache downloads every package.
ON_REQUEST = frozenset({"first_start"})


def load(name: str) -> Measurement:
    module_name, function_name = MEASUREMENTS[name]
    function: Measurement = getattr(importlib.import_module(module_name), function_name)
    return function


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--full", action="store_true", help="the long run (1,000,000-row data sets)")
    parser.add_argument("--only", nargs="*", default=None, help="run only these measurements")
    parser.add_argument("--repetitions", type=int, default=None, help="override the plan's repetitions")
    parser.add_argument(
        "--runs", type=int, default=None, help="override the plan's runs per batch of (3) and (13)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, databases)")
    return parser.parse_args()


def git_commit() -> str:
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        )
    except OSError:
        return "unknown"
    return completed.stdout.strip() or "unknown"


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "system": platform.platform(),
    }


SUMMARIES_DIR = RESULTS_DIR / "summaries"


def write_summary(document: dict[str, Any], table: str, directory: Path = SUMMARIES_DIR) -> Path:
    """The run's summary in Markdown, named by date, plan and commit: what the README's figures link to."""
    finished = str(document["finished_at"])
    path = directory / f"{finished[:10]}-{document['plan']['name']}-{document['commit']}.md"
    machine_line = ", ".join(f"{key} {value}" for key, value in document["machine"].items())
    lines = [
        f"# Bench summary: {document['plan']['name']} run of {finished[:16].replace('T', ' ')} UTC",
        "",
        f"- commit: `{document['commit']}`",
        f"- machine: {machine_line}",
        f"- load average (1, 5, 15 min): {document['load_at_start']} at start, "
        f"{document['load_at_end']} at end",
        f"- elapsed: {document['elapsed_s']} s; measurements: {', '.join(document['measurements'])}",
        f"- failures: {'; '.join(document['failures']) or 'none'}",
        "- method: `bench/README.md`; raw figures of the run: `bench/results/latest.json` (not committed)",
        "",
        "```text",
        table,
        "```",
        "",
    ]
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def report(run_results: Results, plan: Plan, document: dict[str, Any], elapsed: float) -> Path:
    """latest.json, the table on stdout, the dated summary; returns the summary's path."""
    (RESULTS_DIR / "latest.json").write_text(json.dumps(document, indent=1, ensure_ascii=False))
    table = render_table(run_results, plan, elapsed)
    print(table)
    path = write_summary(document, table)
    profiles = os.environ.get("BENCH_CPROFILE")
    if profiles:
        # The profile that explains the figures goes into the summary beside them (bench/profile_summary.py).
        section = render_profiles(Path(profiles))
        print(section)
        path.write_text(path.read_text(encoding="utf-8") + "\n" + section + "\n", encoding="utf-8")
    return path


async def run_all(run: BenchRun, selected: list[str]) -> list[str]:
    failures: list[str] = []
    for name in selected:
        run.log(f"--- {name} ---")
        try:
            await load(name)(run)
        except Exception as error:
            # One broken measurement must not hide the others: it is reported, and the exit status says so.
            failures.append(f"{name}: {type(error).__name__}: {error}")
            run.log(f"{name} FAILED:\n{traceback.format_exc()}")
    return failures


def main() -> int:
    arguments = parse_arguments()
    logging.basicConfig(level=logging.WARNING)
    plan = FULL if arguments.full else QUICK
    if arguments.repetitions:
        plan = replace(plan, repetitions=arguments.repetitions)
    if arguments.runs:
        plan = replace(plan, runs_per_batch=max(1, min(arguments.runs, 100_000)))
    if not broker_reachable():
        print("RabbitMQ is not reachable on 127.0.0.1:5672: start it first", file=sys.stderr)
        return 2
    chosen = arguments.only or [name for name in MEASUREMENTS if name not in ON_REQUEST]
    unknown = sorted(set(chosen) - set(MEASUREMENTS))
    if unknown:
        print(f"unknown measurement(s) {unknown}; choose from {sorted(MEASUREMENTS)}", file=sys.stderr)
        return 2
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    work_dir = Path(tempfile.mkdtemp(prefix="bench-", dir=RESULTS_DIR))
    run = BenchRun(plan, work_dir)
    run.log(f"plan {plan.name}: {asdict(plan)}; work dir {work_dir}")
    started = time.monotonic()
    load_at_start = load_average()
    try:
        failures = run_on_loop(run_all(run, chosen), event_loop_kind())
    finally:
        if not arguments.keep:
            shutil.rmtree(work_dir, ignore_errors=True)
    elapsed = time.monotonic() - started
    document = {
        "plan": asdict(plan),
        "commit": git_commit(),
        "finished_at": datetime.now(UTC).isoformat(),
        "elapsed_s": round(elapsed, 1),
        "machine": machine(),
        "load_at_start": load_at_start,
        "load_at_end": load_average(),
        "measurements": chosen,
        "failures": failures,
        **run.results.as_json(),
        "distributions": {
            key: [round(v, 4) for v in values] for key, values in run.results.distributions.items()
        },
    }
    summary = report(run.results, plan, document, elapsed)
    plot = write_plot(run.results, RESULTS_DIR / "latest.png")
    print(
        f"\nresults: {RESULTS_DIR / 'latest.json'}, summary (commit it): {summary}"
        + (f", plot: {plot}" if plot else " (no plot: matplotlib missing)")
    )
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
