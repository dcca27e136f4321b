"""How big each measurement is in `make bench` (quick) and `make bench-full`, and the run's context."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from bench.figures import Results


@dataclass(frozen=True)
class Plan:
    name: str
    repetitions: int
    transport_messages: int  # (1) per repetition
    throughput_events: int  # (2) per repetition
    runs_per_batch: int  # (3) runs (and Celery tasks) per repetition
    latency_samples: int  # (4) triggers per series per repetition
    fire_window_s: float  # (5) seconds of fires collected per repetition
    read_executions: int  # (6) executions stored
    read_load_s: float  # (6) seconds of load per repetition
    replay_events: int  # (7) events replayed per repetition
    replay_repetitions: int  # (7) its own count: a full replay of 1,000,000 events takes minutes
    fire_jobs: int = 1000
    read_concurrency: int = 4
    replay_target: int = 1_000_000
    seed: int = 20260105


QUICK = Plan(
    name="quick",
    repetitions=3,
    transport_messages=10_000,
    throughput_events=10_000,
    runs_per_batch=1_000,
    latency_samples=60,
    fire_window_s=20,
    read_executions=200_000,
    read_load_s=8,
    replay_events=30_000,
    replay_repetitions=3,
)
FULL = Plan(
    name="full",
    repetitions=3,
    transport_messages=50_000,
    throughput_events=50_000,
    runs_per_batch=3_000,
    latency_samples=200,
    fire_window_s=60,
    read_executions=1_000_000,
    read_load_s=20,
    replay_events=1_000_000,
    replay_repetitions=2,
)


@dataclass
class BenchRun:
    plan: Plan
    work_dir: Path
    results: Results = field(default_factory=Results)
    started: float = field(default_factory=time.monotonic)

    def log(self, text: str) -> None:
        print(f"[bench {time.monotonic() - self.started:6.1f}s] {text}", file=sys.stderr, flush=True)

    def note(self, text: str) -> None:
        """A line printed under the table and kept in the JSON (stand-ins, sizes, what was skipped)."""
        self.results.notes.append(text)
