"""Forward-adjusted (qfq) daily bars into `stock_daily_quotes` (unique {symbol, trade_date, data_source,
period}), per symbol.

- `tushare_historical_sync` (`pro_bar(adj='qfq')`) and `akshare_historical_sync`
  (`stock_zh_a_hist(adjust='qfq')`) are incremental: each symbol starts the day after its last stored bar
  of that source, or `history_start_days` back for a symbol never synced;
- `baostock_historical_sync` (`query_history_k_data_plus`) always re-reads the last 30 days.

kwargs: `symbols`, `limit` (see `selection`), `start_date` (`YYYY-MM-DD`: re-read from that day on).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Protocol

from infrastructure.market.port import STOCK_DAILY_QUOTES
from services.workers.catalogue.basics import require_tushare
from services.workers.catalogue.environment import JobEnvironment
from services.workers.catalogue.loop import SyncTally, for_each_symbol
from services.workers.catalogue.selection import symbols_for
from services.workers.job_api import JobContext
from services.workers.providers.ports import DailyBarsProvider, StockListProvider


def _start_override(kwargs: dict[str, Any]) -> date | None:
    raw = kwargs.get("start_date")
    if raw is None:
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise ValueError(f"start_date must be YYYY-MM-DD, got {raw!r}") from None


class _HistoryProvider(DailyBarsProvider, StockListProvider, Protocol):
    pass


async def _sync_history(
    environment: JobEnvironment,
    context: JobContext,
    provider: _HistoryProvider,
    *,
    window_days: int | None,
    pause_s: float = 0.0,
) -> dict[str, Any]:
    """Per-symbol bars; `window_days` None means incremental from the last stored trade date."""
    tally = SyncTally(context.job_id, provider.name)
    store = await environment.market()
    end = await environment.calendar.latest_trading_day(environment.today())
    forced_start = _start_override(context.kwargs)
    last = {} if window_days or forced_start else await store.last_trade_dates(provider.name)
    first_start = end - timedelta(days=window_days or environment.settings.history_start_days)
    up_to_date = 0
    async with provider:
        codes = await symbols_for(environment, context, provider)

        async def sync(code: str) -> None:
            nonlocal up_to_date
            stored = last.get(code)
            start = forced_start or (
                date.fromisoformat(stored) + timedelta(days=1) if stored else first_start
            )
            if start > end:
                up_to_date += 1
                return
            parsed = await provider.daily_bars(code, start, end)
            tally.add_parsed(parsed)
            now = environment.clock.now()
            rows = [{**row, "updated_at": now} for row in parsed.rows]
            tally.add_written(await store.upsert(STOCK_DAILY_QUOTES, rows))

        await for_each_symbol(
            context, codes, sync, tally, label=f"{provider.name} daily bars to {end}",
            clock=environment.clock, options=environment.loop_options(pause_s=pause_s),
        )  # fmt: skip
    tally.notes.update(up_to_date=up_to_date, end_date=end.isoformat())
    return tally.finish(environment.settings.failure_ratio)


async def tushare_historical_sync(environment: JobEnvironment, context: JobContext) -> dict[str, Any]:
    return await _sync_history(environment, context, require_tushare(environment), window_days=None)


async def akshare_historical_sync(environment: JobEnvironment, context: JobContext) -> dict[str, Any]:
    pause = environment.settings.akshare_batch_pause_s
    return await _sync_history(environment, context, environment.akshare, window_days=None, pause_s=pause)


async def baostock_historical_sync(environment: JobEnvironment, context: JobContext) -> dict[str, Any]:
    window = environment.settings.baostock_history_days
    return await _sync_history(environment, context, environment.baostock, window_days=window)
