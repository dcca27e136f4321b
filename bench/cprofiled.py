"""`python -m bench.cprofiled <module> [args]`: run a service module under cProfile, timed in CPU seconds.

py-spy samples what each thread is doing, idle or waiting for a core included: on a loaded machine its
shares follow the wall clock. This profile counts process CPU time (`time.process_time`) per function
instead, so it says where the CPU of a hop goes. Used by the bench when `BENCH_CPROFILE=<dir>` is set (see
`bench/environment.py`); the stats are written to `<dir>/<name>.pstats` when the service returns (SIGTERM
stops every service cleanly). CPU of other threads (aiosqlite's) lands on whatever the main thread was in
at the time, mostly the event loop's `select`.
"""

from __future__ import annotations

import cProfile
import os
import runpy
import sys
import time
from pathlib import Path


def main() -> None:
    module, arguments = sys.argv[1], sys.argv[2:]
    output = Path(os.environ["BENCH_CPROFILE"]) / f"{os.environ.get('BENCH_CPROFILE_NAME', module)}.pstats"
    sys.argv = [module, *arguments]
    profile = cProfile.Profile(time.process_time)
    profile.enable()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    finally:
        profile.disable()
        output.parent.mkdir(parents=True, exist_ok=True)
        profile.dump_stats(str(output))


if __name__ == "__main__":
    main()
