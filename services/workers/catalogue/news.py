"""The news sync job.

`news_sync`: akshare `stock_news_em` for the watched symbols, into
`stock_news` (unique {url, title, publish_time}). `stock_news_em` answers one page of eastmoney's search
(its `pageSize` is 10): the latest 10 items per stock per run, at most `SCHEDULER_NEWS_PER_SYMBOL`.

Watched symbols: kwargs `symbols`, else the `SCHEDULER_NEWS_SYMBOLS` watch list, else the first
`SCHEDULER_NEWS_MAX_SYMBOLS` codes of `stock_basic_info`.
"""

from __future__ import annotations

from infrastructure.market.port import STOCK_NEWS
from services.workers.catalogue.environment import JobEnvironment
from services.workers.catalogue.loop import JobResult
from services.workers.catalogue.loop import SyncTally
from services.workers.catalogue.loop import for_each_symbol
from services.workers.catalogue.loop import skipped_result
from services.workers.catalogue.selection import requested_symbols
from services.workers.catalogue.selection import symbols_for
from services.workers.job_api import JobContext


async def news_sync(environment: JobEnvironment, context: JobContext) -> JobResult:
    """The `news_sync` job: the latest news of the watched stocks into `stock_news`."""
    settings = environment.settings
    watch_list = requested_symbols({"symbols": settings.news_symbols}) if settings.news_symbols else None
    store = await environment.market()
    if not watch_list and not context.kwargs.get("symbols"):
        watch_list = await store.codes(limit=settings.news_max_symbols)
    codes = await symbols_for(environment, context, default=watch_list)
    if not codes:
        reason = "no watched symbols: set SCHEDULER_NEWS_SYMBOLS or run a basic-info sync first"
        return skipped_result(context.job_id, "akshare", reason)
    tally = SyncTally(context.job_id, "akshare")
    akshare = environment.akshare

    async def sync(code: str) -> None:
        parsed = await akshare.news(code, settings.news_per_symbol)
        tally.add_parsed(parsed)
        now = environment.clock.now()
        rows = [{**row, "updated_at": now} for row in parsed.rows]
        tally.add_written(await store.upsert(STOCK_NEWS, rows))

    async with akshare:
        await for_each_symbol(
            context, codes, sync, tally, label="akshare news", clock=environment.clock,
            options=environment.loop_options(pause_s=settings.akshare_batch_pause_s),
        )  # fmt: skip
    return tally.finish(settings.failure_ratio)
