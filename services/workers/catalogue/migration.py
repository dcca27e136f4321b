"""Brings market data stored by earlier versions to today's rules.

    python -m services.workers.catalogue.migration [--dry-run]

- `stock_daily_quotes`: bars stored without `adj_factor` (forward-adjusted to whatever day each fetch
  window ended on) are re-read from their provider from the first such bar on, and stored on one basis
  with their factors (the history jobs' own rule: see `history`); bars the provider no longer sends
  (baostock's suspended days, for one) are removed. A source that cannot be asked (no tushare token) is
  reported with its symbols and left as it was;
- `stock_basic_info`: `market` and `exchange` derived again from the board table (`providers.boards`):
  302xxx becomes 创业板, tushare's `CDR` the CDR's board;
- `market_quotes`: rows without `quote_at` are replaced by the next snapshot of any source (they count as
  older than any quote); nothing to do here.

Idempotent: a second run finds nothing to migrate. Uses the worker's settings (`SCHEDULER_*`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from infrastructure.market.port import STOCK_BASIC_INFO
from services.workers.catalogue import history
from services.workers.catalogue.environment import JobEnvironment
from services.workers.catalogue.loop import JobResult
from services.workers.catalogue.settings import CatalogueSettings
from services.workers.job_api import JobContext
from services.workers.job_api import PartialResult
from services.workers.providers.normalise import exchange_name
from services.workers.providers.normalise import market_of

HISTORY_JOBS = {
    "tushare": history.tushare_historical_sync,
    "akshare": history.akshare_historical_sync,
    "baostock": history.baostock_historical_sync,
}


class CommandContext:
    """A `JobContext` for a command run: progress on stderr, never cancelled."""

    def __init__(self, job_id: str, kwargs: dict[str, Any]) -> None:
        self.execution_id = f"{job_id}-migration"
        self.job_id = job_id
        self.kwargs = kwargs
        self.force = True
        self.is_manual = True
        self.cancel_requested = False

    def check_cancelled(self) -> None:
        """Never cancelled: the migration runs from the command line."""
        return None

    async def progress(self, percent: float, message: str | None = None, **_: Any) -> None:
        """Print progress on stderr."""
        print(f"{self.job_id}: {percent:5.1f}% {message or ''}", file=sys.stderr)


def _outcome(result: JobResult) -> dict[str, Any]:
    if isinstance(result, PartialResult):
        return {**result.result, "partial_reason": result.reason}
    return result


async def migrate_bars(environment: JobEnvironment, *, dry_run: bool) -> dict[str, Any]:
    """Re-read the bars stored without a factor, per source (`dry_run`: only report which)."""
    store = await environment.market()
    report: dict[str, Any] = {}
    for source, job in HISTORY_JOBS.items():
        states = await store.series_states(source)
        legacy = sorted(symbol for symbol, state in states.items() if state.legacy_from)
        if not legacy:
            continue
        if dry_run or (source == "tushare" and environment.tushare is None):
            reason = "dry run" if dry_run else "no tushare token: left as they are"
            report[source] = {"symbols": len(legacy), "not_migrated": reason, "first": legacy[:20]}
            continue
        context: JobContext = CommandContext(f"{source}_history_migration", {"symbols": legacy})
        report[source] = _outcome(await job(environment, context))
    return report


async def migrate_boards(environment: JobEnvironment, *, dry_run: bool) -> dict[str, int]:
    """Set each stock's market and exchange from the board table (`dry_run`: only count)."""
    store = await environment.market()
    changed = [
        {**{key: row[key] for key in ("code", "source")}, "market": market_of(row["code"]),
         "exchange": exchange_name(row["code"])}
        for row in await store.find(STOCK_BASIC_INFO)
        if (row.get("market"), row.get("exchange")) != (market_of(row["code"]), exchange_name(row["code"]))
    ]  # fmt: skip
    if changed and not dry_run:
        await store.upsert(STOCK_BASIC_INFO, changed)
    return {"rows_with_new_board": len(changed)}


async def migrate(environment: JobEnvironment, *, dry_run: bool = False) -> dict[str, Any]:
    """Bring stored bars and stock boards to today's rules; what changed, per collection."""
    return {
        "stock_daily_quotes": await migrate_bars(environment, dry_run=dry_run),
        "stock_basic_info": await migrate_boards(environment, dry_run=dry_run),
    }


async def _main(dry_run: bool) -> dict[str, Any]:
    environment = JobEnvironment.from_settings(CatalogueSettings())
    try:
        return await migrate(environment, dry_run=dry_run)
    finally:
        await environment.aclose()


def main(argv: list[str] | None = None) -> int:
    """Run the migration from the command line, printing its report as JSON."""
    parser = argparse.ArgumentParser(prog="python -m services.workers.catalogue.migration")
    parser.add_argument("--dry-run", action="store_true", help="report what would be migrated")
    arguments = parser.parse_args(argv)
    print(json.dumps(asyncio.run(_main(arguments.dry_run)), ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
