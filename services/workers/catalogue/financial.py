"""Financial statements into `stock_financial_data` (key {symbol, report_period, data_source}), per symbol.

- `tushare_financial_sync`: `income`, `balancesheet`, `cashflow`, `fina_indicator` merged per period;
- `akshare_financial_sync`: sina's key-indicator abstract plus its three statements.

kwargs: `symbols`, `limit` (see `selection`).
"""

from __future__ import annotations

from typing import Protocol

from infrastructure.market.port import STOCK_FINANCIAL_DATA
from services.workers.catalogue.basics import require_tushare
from services.workers.catalogue.environment import JobEnvironment
from services.workers.catalogue.loop import JobResult
from services.workers.catalogue.loop import SyncTally
from services.workers.catalogue.loop import for_each_symbol
from services.workers.catalogue.selection import symbols_for
from services.workers.job_api import JobContext
from services.workers.providers.ports import FinancialStatementsProvider
from services.workers.providers.ports import StockListProvider


class _FinancialProvider(FinancialStatementsProvider, StockListProvider, Protocol):
    pass


async def _sync_financials(
    environment: JobEnvironment, context: JobContext, provider: _FinancialProvider, pause_s: float
) -> JobResult:
    tally = SyncTally(context.job_id, provider.name)
    store = await environment.market()
    async with provider:
        codes = await symbols_for(environment, context, provider)

        async def sync(code: str) -> None:
            parsed = await provider.financial_statements(code)
            tally.add_parsed(parsed)
            now = environment.clock.now()
            rows = [{**row, "updated_at": now} for row in parsed.rows]
            tally.add_written(await store.upsert(STOCK_FINANCIAL_DATA, rows))

        await for_each_symbol(
            context, codes, sync, tally, label=f"{provider.name} financial statements",
            clock=environment.clock, options=environment.loop_options(pause_s=pause_s),
        )  # fmt: skip
    return tally.finish(environment.settings.failure_ratio)


async def tushare_financial_sync(environment: JobEnvironment, context: JobContext) -> JobResult:
    """The `tushare_financial_sync` job: each stock's statements into `stock_financial_data`."""
    return await _sync_financials(environment, context, require_tushare(environment), 0.0)


async def akshare_financial_sync(environment: JobEnvironment, context: JobContext) -> JobResult:
    """The `akshare_financial_sync` job: each stock's statements into `stock_financial_data`."""
    pause = environment.settings.akshare_batch_pause_s
    return await _sync_financials(environment, context, environment.akshare, pause)
