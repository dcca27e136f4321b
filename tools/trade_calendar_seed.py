"""Write the seeded trading-day calendar from the trade-date file akshare ships.

`python -m tools.trade_calendar_seed`: write `domain/calendars/cn_a_share.txt`, the SSE/SZSE trading days
from 2005 on, from the trade-date file the installed akshare ships (`akshare/file_fold/calendar.json`).

Run again after upgrading akshare (its file ends with the last year it knows); commit the result.
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
from pathlib import Path

from domain.trade_calendar import SEED_FILE
from services.workers.providers.akshare_provider import offline_calendar_file

FIRST_YEAR = 2005
TARGET = Path(__file__).resolve().parents[1] / "domain" / "calendars" / SEED_FILE


def seed_text(days: list[str], version: str) -> str:
    """The seed file's text: a source header, then the trading days from `FIRST_YEAR` on, one a line."""
    kept = sorted(day for day in days if int(day[:4]) >= FIRST_YEAR)
    header = [
        f"# source: akshare {version} file_fold/calendar.json (SSE/SZSE trading days)",
        f"# from {kept[0]} to {kept[-1]}; written by python -m tools.trade_calendar_seed",
    ]
    return "\n".join([*header, *kept]) + "\n"


def main() -> int:
    """Write the calendar seed from akshare's offline calendar file; 1 if akshare is not installed."""
    path = offline_calendar_file()
    if path is None:
        print("akshare is not installed: its calendar file is the seed's source", file=sys.stderr)
        return 1
    days = [str(day) for day in json.loads(path.read_text())]
    TARGET.write_text(seed_text(days, importlib.metadata.version("akshare")), encoding="utf-8")
    print(f"wrote {TARGET} ({len(days)} days in the source)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
