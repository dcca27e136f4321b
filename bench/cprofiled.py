"""`python -m bench.cprofiled <module> [args]`: run a service module under cProfile, timed in CPU seconds.

py-spy samples what each thread is doing, idle or waiting for a core included: on a loaded machine its
shares follow the wall clock. This profile counts process CPU time (`time.process_time`) per function
instead, so it says where the CPU of a hop goes. Used by the bench when `BENCH_CPROFILE=<dir>` is set (see
`bench/environment.py`); the stats are written to `<dir>/<name>.pstats` when the service returns (SIGTERM
stops every service cleanly). CPU of other threads (aiosqlite's) lands on whatever the main thread was in
at the time, mostly the event loop's `select`.

The profile covers the process's whole life unless the bench marks its measured batches: the first
`SIGUSR1` drops what was profiled so far (start-up, warm-up), and from then on `SIGUSR1` resumes and
`SIGUSR2` pauses profiling (`bench.cpu.CpuMeter(profile=True)` sends them around each measured batch), so
the stats hold the measured batches only.
"""

from __future__ import annotations

import cProfile
import os
import runpy
import signal
import sys
import time
from pathlib import Path
from types import FrameType


def main() -> None:
    module, arguments = sys.argv[1], sys.argv[2:]
    output = Path(os.environ["BENCH_CPROFILE"]) / f"{os.environ.get('BENCH_CPROFILE_NAME', module)}.pstats"
    sys.argv = [module, *arguments]
    profile = cProfile.Profile(time.process_time)
    _profile_windows(profile)
    profile.enable()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        profile.disable()
        output.parent.mkdir(parents=True, exist_ok=True)
        profile.dump_stats(str(output))


def _profile_windows(profile: cProfile.Profile) -> None:
    """SIGUSR1: profile (the first one drops everything before it); SIGUSR2: stop profiling until the next."""
    windows = 0

    def resume(signum: int, frame: FrameType | None) -> None:
        nonlocal windows
        if windows == 0:
            profile.disable()
            profile.clear()
        windows += 1
        profile.enable()

    def pause(signum: int, frame: FrameType | None) -> None:
        profile.disable()

    signal.signal(signal.SIGUSR1, resume)
    signal.signal(signal.SIGUSR2, pause)


if __name__ == "__main__":
    main()
