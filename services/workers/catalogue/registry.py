"""The workers' half of the catalogue: which code runs each job kind of `domain/catalogue.py`.

The catalogue itself (ids, names, triggers, policies) is data in `domain/catalogue.py`, read by the
scheduler and the API without loading any provider; here each data-sync kind is mapped to its coroutine,
and `bound_jobs(environment)` binds them to one process's `JobEnvironment` (providers, market store, rate
limits). A test checks that this mapping and the domain's catalogue name the same kinds.
"""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable

from services.workers.catalogue import basics
from services.workers.catalogue import financial
from services.workers.catalogue import history
from services.workers.catalogue import news
from services.workers.catalogue import quotes
from services.workers.catalogue import review
from services.workers.catalogue import status
from services.workers.catalogue import trade_calendar_sync
from services.workers.catalogue.environment import JobEnvironment
from services.workers.catalogue.loop import JobResult
from services.workers.job_api import JobContext
from services.workers.job_api import JobFunction

CatalogueJob = Callable[[JobEnvironment, JobContext], Awaitable[JobResult]]

# job kind -> the code that runs it (one line per kind of `domain.catalogue.DATA_SYNC_JOBS`)
JOB_CODE: dict[str, CatalogueJob] = {
    "basics_sync_service": basics.basics_sync_service,
    "quotes_ingestion_service": quotes.quotes_ingestion_service,
    "tushare_basic_info_sync": basics.tushare_basic_info_sync,
    "tushare_quotes_sync": quotes.tushare_quotes_sync,
    "tushare_historical_sync": history.tushare_historical_sync,
    "tushare_financial_sync": financial.tushare_financial_sync,
    "tushare_status_check": status.tushare_status_check,
    "akshare_basic_info_sync": basics.akshare_basic_info_sync,
    "akshare_quotes_sync": quotes.akshare_quotes_sync,
    "akshare_historical_sync": history.akshare_historical_sync,
    "akshare_financial_sync": financial.akshare_financial_sync,
    "akshare_status_check": status.akshare_status_check,
    "baostock_basic_info_sync": basics.baostock_basic_info_sync,
    "baostock_daily_quotes_sync": quotes.baostock_daily_quotes_sync,
    "baostock_historical_sync": history.baostock_historical_sync,
    "baostock_status_check": status.baostock_status_check,
    "news_sync": news.news_sync,
    "market_daily_review": review.market_daily_review,
    "trade_calendar_sync": trade_calendar_sync.trade_calendar_sync,
}


def _bound(run: CatalogueJob, environment: JobEnvironment) -> JobFunction:
    async def job(context: JobContext) -> JobResult:
        return await run(environment, context)

    job.__name__ = job.__qualname__ = run.__name__
    return job


def bound_jobs(environment: JobEnvironment) -> dict[str, JobFunction]:
    """Every data-sync job kind's function, bound to `environment`."""
    return {kind: _bound(run, environment) for kind, run in JOB_CODE.items()}
