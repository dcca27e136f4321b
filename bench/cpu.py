"""CPU seconds per process over a measured batch, from `/proc/<pid>/stat` (utime + stime).

Wall-clock rates on a shared 2-core machine move with whatever else runs; the CPU a process spends on a
batch of runs does not (much): it is the cost of each hop, and the sum over the processes divided by the
wall clock says how many cores the pipeline kept busy (2.0 on this machine: it ran out of cores).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from bench.environment import PROFILED_PIDS
from bench.figures import Results

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PER_RUNS = 1000  # the table's unit: CPU seconds per 1,000 runs
BENCH_PROCESS = "bench (load generator)"


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (and of its children it waited for); NaN when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return float("nan")
    # The command name (field 2) is in parentheses and may hold spaces: split after its closing one.
    fields = text[text.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return (utime + stime + cutime + cstime) / CLOCK_TICKS


@dataclass
class CpuMeter:
    """CPU seconds each named process spent between `start()` and `stop()`, and the wall clock between."""

    pids: Mapping[str, int]
    # Also profile the batch: processes under `bench/cprofiled.py` get SIGUSR1 at `start`, SIGUSR2 at `stop`.
    profile: bool = False
    spent: dict[str, float] = field(default_factory=dict)
    wall_s: float = 0.0
    gross: float | None = None  # the total before `net_of`: what the cores really ran
    _before: dict[str, float] = field(default_factory=dict)
    _started: float = 0.0

    def start(self) -> CpuMeter:
        self._signal_profiled(signal.SIGUSR1)
        self._before = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self._started = time.monotonic()
        return self

    def stop(self) -> dict[str, float]:
        self._signal_profiled(signal.SIGUSR2)
        self.wall_s = time.monotonic() - self._started
        self.spent = {name: cpu_seconds(pid) - self._before[name] for name, pid in self.pids.items()}
        return self.spent

    def _signal_profiled(self, signum: signal.Signals) -> None:
        if not self.profile:
            return
        for pid in self.pids.values():
            if pid in PROFILED_PIDS:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signum)

    def net_of(self, idle: Mapping[str, float]) -> None:
        """Subtract each process's idle CPU rate over the batch's wall time (never below zero)."""
        self.gross = self.total
        self.spent = {
            name: max(0.0, value - idle.get(name, 0.0) * self.wall_s) for name, value in self.spent.items()
        }

    @property
    def total(self) -> float:
        return sum(value for value in self.spent.values() if value == value)

    @property
    def cores_busy(self) -> float:
        """Mean number of cores the measured processes kept busy over the batch."""
        used = self.total if self.gross is None else self.gross
        return used / self.wall_s if self.wall_s > 0 else float("nan")


async def idle_rates(pids: Mapping[str, int], seconds: float = 2.0) -> dict[str, float]:
    """CPU seconds per wall second each process spends with nothing to do (heartbeats, polls, timers):
    measured before a batch, subtracted from it (`CpuMeter.net_of`), so that a slow batch on a loaded
    machine is not charged for the time it took."""
    meter = CpuMeter(pids).start()
    await asyncio.sleep(seconds)
    spent = meter.stop()
    return {name: max(0.0, value / meter.wall_s) for name, value in spent.items() if value == value}


def with_bench_process(pids: Mapping[str, int]) -> dict[str, int]:
    """The service processes plus this one (it publishes the commands and polls the read model)."""
    return {**pids, BENCH_PROCESS: os.getpid()}


def record_cpu(results: Results, group: str, prefix: str, label: str, meter: CpuMeter, runs: int) -> None:
    """One figure per process (`<prefix>.<process>`: CPU s per 1,000 runs), their total, cores busy."""
    scale = PER_RUNS / runs
    unit = "CPU s / 1,000 runs"
    for name, value in meter.spent.items():
        results.figure(f"{prefix}.{name}", group, f"{label}: {name}", unit)
        results.add(f"{prefix}.{name}", value * scale)
    results.figure(f"{prefix}.total", group, f"{label}: all processes", unit)
    results.add(f"{prefix}.total", meter.total * scale)
    results.figure(f"{prefix}.cores", group, f"{label}: cores busy (CPU s / wall s)", "cores")
    results.add(f"{prefix}.cores", meter.cores_busy)


def cpu_line(meter: CpuMeter, runs: int) -> str:
    """A compact log line: CPU seconds per 1,000 runs of each process, the total and cores busy."""
    scale = PER_RUNS / runs
    parts = ", ".join(f"{name} {value * scale:.2f}" for name, value in meter.spent.items())
    return f"CPU s / 1,000 runs: {parts}; total {meter.total * scale:.2f}; cores busy {meter.cores_busy:.2f}"
