"""The healthcheck of the services without an HTTP port.

`python -m infrastructure.healthcheck PATH [MAX_AGE_S]`: exit 0 if PATH was touched in the last
MAX_AGE_S seconds (default 30), else 1; prints what the process wrote there (`healthy`, or `degraded: broker
unreachable since …` during a broker outage: alive, so still 0). Used by compose.yaml for the services
without an HTTP port.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path


def main(arguments: list[str]) -> int:
    """The health check's exit status: 0 if PATH is fresh enough, 1 if not, 2 on a usage error."""
    if not 1 <= len(arguments) <= 2:
        print("usage: python -m infrastructure.healthcheck PATH [MAX_AGE_S]", file=sys.stderr)
        return 2
    path = Path(arguments[0])
    max_age_s = float(arguments[1]) if len(arguments) == 2 else 30.0
    try:
        age_s = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        print(f"unhealthy: {path} does not exist", file=sys.stderr)
        return 1
    if age_s > max_age_s:
        print(f"unhealthy: {path} last touched {age_s:.0f} s ago", file=sys.stderr)
        return 1
    print(
        path.read_text(errors="replace").strip() or "healthy"
    )  # e.g. "degraded: broker unreachable since …"
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
