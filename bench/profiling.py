"""Optional sampling profiles of the service processes under load (`BENCH_PROFILE=<dir>`).

With `BENCH_PROFILE` set, the first measured batch of each scaling configuration runs with `py-spy record`
attached to every service process (sampling, 100 Hz, non-blocking: the process is never paused); each
profile is written in py-spy's collapsed-stack format to `<dir>/<configuration>-<process>.txt`, and the
functions with the most samples at the top of the stack are printed. py-spy comes from
`requirements/bench.txt`; attaching needs ptrace rights over the processes (root, or the same user with
`kernel.yama.ptrace_scope` 0).
"""

from __future__ import annotations

import collections
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

ENV = "BENCH_PROFILE"
RATE_HZ = 100
TOP = 12


def profile_dir() -> Path | None:
    value = os.environ.get(ENV)
    return Path(value) if value else None


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


@contextmanager
def profiled(pids: Mapping[str, int], tag: str) -> Iterator[dict[str, Path]]:
    """py-spy on each process for the duration of the block (nothing when BENCH_PROFILE is unset)."""
    directory, binary = profile_dir(), py_spy()
    outputs: dict[str, Path] = {}
    if directory is None or binary is None:
        yield outputs
        return
    directory.mkdir(parents=True, exist_ok=True)
    recorders = []
    for name, pid in pids.items():
        output = directory / f"{tag}-{name.replace(' ', '_')}.txt"
        arguments = [binary, "record", "--pid", str(pid), "--rate", str(RATE_HZ), "--nonblocking"]
        arguments += ["--format", "raw", "--output", str(output)]
        recorders.append(subprocess.Popen(arguments, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        outputs[name] = output
    try:
        yield outputs
    finally:
        for recorder in recorders:
            recorder.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        for recorder in recorders:
            try:
                recorder.wait(timeout=30)
            except subprocess.TimeoutExpired:
                recorder.kill()


def top_functions(collapsed: Path, top: int = TOP) -> list[tuple[str, float, float]]:
    """(function, % self samples, % inclusive samples) of one collapsed-stack profile, most self first.

    Idle samples (the event loop waiting in `select`/`epoll`) are counted like the others, so the shares
    are of the time sampled, busy or not."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    if not total:
        return []
    return [
        (frame, 100 * count / total, 100 * inclusive[frame] / total) for frame, count in own.most_common(top)
    ]


def summary(outputs: Mapping[str, Path]) -> str:
    """The top functions of every profile written, as text for the log."""
    lines = []
    for name, path in outputs.items():
        if not path.exists():
            lines.append(f"{name}: no profile (py-spy could not attach?)")
            continue
        lines.append(f"{name} ({path}):")
        for frame, own, inclusive in top_functions(path):
            lines.append(f"  {own:5.1f}% self {inclusive:5.1f}% incl  {frame}")
    return "\n".join(lines)
