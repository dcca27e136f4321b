"""Stock basic information into `stock_basic_info` (key {code, source}), in batches of 500.

- `tushare_basic_info_sync`: `stock_basic(list_status='L', exchange='SSE,SZSE')`;
- `akshare_basic_info_sync`: `stock_info_a_code_name`, then `stock_individual_info_em` per stock
  (kwarg `details=false` skips the per-stock part);
- `baostock_basic_info_sync`: `query_stock_basic` (listed A-shares only);
- `basics_sync_service`: tushare → akshare → baostock, the first that answers; with tushare, the latest
  trading day's `daily_basic` (pe, pb, market value, turnover) enriches the list.
"""

from __future__ import annotations

from typing import Any

from infrastructure.market.port import STOCK_BASIC_INFO
from services.workers.catalogue.environment import TOKEN_MISSING
from services.workers.catalogue.environment import JobEnvironment
from services.workers.catalogue.loop import JobResult
from services.workers.catalogue.loop import SyncFailed
from services.workers.catalogue.loop import SyncTally
from services.workers.catalogue.loop import for_each_symbol
from services.workers.catalogue.loop import write_rows
from services.workers.catalogue.selection import symbols_for
from services.workers.job_api import JobContext
from services.workers.providers.errors import ProviderError
from services.workers.providers.ports import ParsedRows
from services.workers.providers.ports import Row
from services.workers.providers.ports import StockListProvider
from services.workers.providers.tushare_provider import TushareProvider


async def _write_list(
    environment: JobEnvironment,
    context: JobContext,
    parsed: ParsedRows,
    tally: SyncTally,
    percent: tuple[float, float] = (10.0, 100.0),
    *,
    count_items: bool = True,
) -> None:
    now = environment.clock.now()
    rows = [{**row, "updated_at": now} for row in parsed.rows]
    if count_items:  # a list job's items are the rows it was sent
        tally.total += len(parsed.rows) + parsed.skipped
        tally.processed += len(parsed.rows) + parsed.skipped
    tally.add_parsed(parsed)
    store = await environment.market()
    await write_rows(
        context, store, STOCK_BASIC_INFO, rows, tally,
        batch_size=environment.settings.write_batch_size, percent=percent,
    )  # fmt: skip


async def _stock_list(context: JobContext, provider: StockListProvider) -> ParsedRows:
    await context.progress(0.0, f"fetching the stock list from {provider.name}")
    async with provider:
        return await provider.stock_list()


def require_tushare(environment: JobEnvironment) -> TushareProvider:
    """The tushare provider; ProviderError (token missing) when no token is configured."""
    if environment.tushare is None:
        raise ProviderError("tushare", "pro_api", TOKEN_MISSING)
    return environment.tushare


async def tushare_basic_info_sync(environment: JobEnvironment, context: JobContext) -> JobResult:
    """The `tushare_basic_info_sync` job: tushare's stock list into `stock_basic_info`."""
    tally = SyncTally(context.job_id, "tushare")
    await _write_list(environment, context, await _stock_list(context, require_tushare(environment)), tally)
    return tally.finish(environment.settings.failure_ratio)


async def baostock_basic_info_sync(environment: JobEnvironment, context: JobContext) -> JobResult:
    """The `baostock_basic_info_sync` job: baostock's stock list into `stock_basic_info`."""
    tally = SyncTally(context.job_id, "baostock")
    await _write_list(environment, context, await _stock_list(context, environment.baostock), tally)
    return tally.finish(environment.settings.failure_ratio)


async def akshare_basic_info_sync(environment: JobEnvironment, context: JobContext) -> JobResult:
    """The `akshare_basic_info_sync` job: akshare's stock list, then each stock's details (`details`)."""
    tally = SyncTally(context.job_id, "akshare")
    parsed = await _stock_list(context, environment.akshare)
    tally.notes["listed"] = len(parsed.rows)
    if context.kwargs.get("details", True) is False:
        await _write_list(environment, context, parsed, tally)
        return tally.finish(environment.settings.failure_ratio)
    await _write_list(environment, context, parsed, tally, (5.0, 10.0), count_items=False)
    listed = [str(row["code"]) for row in parsed.rows]
    codes = await symbols_for(environment, context, default=listed)
    store = await environment.market()

    async def enrich(code: str) -> None:
        info = await environment.akshare.basic_info(code)
        if info is None:
            tally.skipped += 1
            tally.skipped_reasons["no individual info"] += 1
            return
        record: Row = {**info, "code": code, "source": "akshare", "updated_at": environment.clock.now()}
        tally.add_written(await store.upsert(STOCK_BASIC_INFO, [record]))

    await for_each_symbol(
        context, codes, enrich, tally, label="akshare individual info", clock=environment.clock,
        options=environment.loop_options(pause_s=environment.settings.akshare_batch_pause_s),
        percent=(10.0, 100.0),
    )  # fmt: skip
    return tally.finish(environment.settings.failure_ratio)


async def _tushare_with_basics(environment: JobEnvironment, context: JobContext) -> ParsedRows:
    tushare = require_tushare(environment)
    parsed = await _stock_list(context, tushare)
    latest = await environment.calendar.latest_trading_day(environment.today())
    await context.progress(5.0, f"daily basics of {latest} from tushare")
    basics = {str(row["code"]): row for row in (await tushare.daily_basics(latest)).rows}
    for row in parsed.rows:
        extra = basics.get(str(row["code"]))
        if extra:
            row.update({name: value for name, value in extra.items() if name != "code"})
    return parsed


async def basics_sync_service(environment: JobEnvironment, context: JobContext) -> JobResult:
    """The stock list from the first provider that answers (tushare, akshare, baostock)."""
    attempts: list[dict[str, str]] = []
    candidates: list[tuple[str, Any]] = [
        ("tushare", lambda: _tushare_with_basics(environment, context)),
        ("akshare", lambda: _stock_list(context, environment.akshare)),
        ("baostock", lambda: _stock_list(context, environment.baostock)),
    ]
    for source, fetch in candidates:
        if source == "tushare" and environment.tushare is None:
            attempts.append({"source": source, "error": "no token configured"})
            continue
        try:
            parsed: ParsedRows = await fetch()
        except ProviderError as error:
            attempts.append({"source": source, "error": str(error)})
            continue
        if not parsed.rows:
            attempts.append({"source": source, "error": "empty stock list"})
            continue
        tally = SyncTally(context.job_id, source, notes={"fallbacks": attempts})
        await _write_list(environment, context, parsed, tally)
        return tally.finish(environment.settings.failure_ratio)
    reasons = "; ".join(f"{a['source']}: {a['error']}" for a in attempts)
    raise SyncFailed(f"basics_sync_service: no source answered ({reasons})")
