"""The job catalogue of `../shared/spec/jobs.md`: 17 data-sync job kinds with their defaults.

`CATALOGUE` holds the defaults; its functions build the process's `JobEnvironment` from
`CatalogueSettings()` on first use. `configured_catalogue(settings, environment)` is what a composition
root uses: the same jobs with the settings applied (enable flag and trigger overrides, tushare jobs disabled
without a token, with the reason in `disabled_reason`) and bound to the given environment.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Literal

from services.workers.catalogue import basics, financial, history, news, quotes, status
from services.workers.catalogue.environment import TOKEN_MISSING, JobEnvironment
from services.workers.catalogue.loop import JobResult
from services.workers.catalogue.settings import CatalogueSettings
from services.workers.job_api import JobContext, JobFunction

logger = logging.getLogger(__name__)

Source = Literal["tushare", "akshare", "baostock", "multi"]
CatalogueJob = Callable[[JobEnvironment, JobContext], Awaitable[JobResult]]


@dataclass(frozen=True)
class JobSpec:
    """One catalogue job. `function(context)` runs it; `job_kind` is the name the worker registers."""

    job_id: str
    name: str
    trigger: str
    source: Source
    enabled: bool
    function: JobFunction
    disabled_reason: str | None = None
    description: str = ""
    needs_tushare: bool = False

    @property
    def job_kind(self) -> str:
        return self.job_id


@dataclass(frozen=True)
class _Entry:
    job_id: str
    name: str
    trigger: str
    source: Source
    run: CatalogueJob
    description: str

    @property
    def needs_tushare(self) -> bool:
        return self.source == "tushare"


_ENTRIES = (
    _Entry("basics_sync_service", "股票基础信息同步（多数据源）", "06:30", "multi",
           basics.basics_sync_service,
           "stock list + latest trade date + daily basics; tushare → akshare → baostock fallback"),
    _Entry("quotes_ingestion_service", "实时行情入库服务", "interval:360", "multi",
           quotes.quotes_ingestion_service, "full-market snapshot in trading hours; rotates sources"),
    _Entry("tushare_basic_info_sync", "股票基础信息同步（Tushare）", "0 2 * * *", "tushare",
           basics.tushare_basic_info_sync, "stock_basic(list_status='L') per exchange: SSE, SZSE, BSE"),
    _Entry("tushare_quotes_sync", "实时行情同步（Tushare）", "*/5 9-15 * * 1-5", "tushare",
           quotes.tushare_quotes_sync, "whole market in one rt_k call; trading time only unless force"),
    _Entry("tushare_historical_sync", "历史数据同步（Tushare）", "0 16 * * 1-5", "tushare",
           history.tushare_historical_sync, "incremental daily + adj_factor per symbol, qfq on one basis"),
    _Entry("tushare_financial_sync", "财务数据同步（Tushare）", "0 3 * * 0", "tushare",
           financial.tushare_financial_sync, "income, balance sheet, cash flow, indicators"),
    _Entry("tushare_status_check", "数据源状态检查（Tushare）", "0 * * * *", "tushare",
           status.tushare_status_check, "reachability, counts and freshness"),
    _Entry("akshare_basic_info_sync", "股票基础信息同步（AKShare）", "0 3 * * *", "akshare",
           basics.akshare_basic_info_sync, "stock_info_a_code_name + stock_individual_info_em"),
    _Entry("akshare_quotes_sync", "实时行情同步（AKShare）", "*/30 9-15 * * 1-5", "akshare",
           quotes.akshare_quotes_sync, "stock_zh_a_spot, stock_zh_a_spot_em as fallback"),
    _Entry("akshare_historical_sync", "历史数据同步（AKShare）", "0 17 * * 1-5", "akshare",
           history.akshare_historical_sync, "incremental stock_zh_a_hist + sina factors, qfq on one basis"),
    _Entry("akshare_financial_sync", "财务数据同步（AKShare）", "0 4 * * 0", "akshare",
           financial.akshare_financial_sync, "financial abstract and statements"),
    _Entry("akshare_status_check", "数据源状态检查（AKShare）", "30 * * * *", "akshare",
           status.akshare_status_check, "reachability, counts and freshness"),
    _Entry("baostock_basic_info_sync", "股票基础信息同步（BaoStock）", "0 4 * * *", "baostock",
           basics.baostock_basic_info_sync, "query_stock_basic"),
    # baostock publishes the day's bars at about 17:30: at 16:00 only the previous day's were there
    _Entry("baostock_daily_quotes_sync", "日K线数据同步（BaoStock）", "0 18 * * 1-5", "baostock",
           quotes.baostock_daily_quotes_sync, "the day's bar per SH/SZ stock, once published"),
    _Entry("baostock_historical_sync", "历史数据同步（BaoStock）", "0 18 * * 1-5", "baostock",
           history.baostock_historical_sync, "k data + adjust factors, last 30 days"),
    _Entry("baostock_status_check", "数据源状态检查（BaoStock）", "45 * * * *", "baostock",
           status.baostock_status_check, "reachability, counts and freshness"),
    _Entry("news_sync", "新闻数据同步（AKShare）", "0 */2 * * *", "akshare", news.news_sync,
           "stock_news_em for watched symbols: its latest page (10 items) per stock"),
)  # fmt: skip

_default_environment: JobEnvironment | None = None


async def default_environment() -> JobEnvironment:
    """The process's environment from `CatalogueSettings()`, built on first use (no await inside)."""
    global _default_environment
    if _default_environment is None:
        _default_environment = JobEnvironment.from_settings(CatalogueSettings())
    return _default_environment


def _lazy(run: CatalogueJob) -> JobFunction:
    async def job(context: JobContext) -> JobResult:
        return await run(await default_environment(), context)

    job.__name__ = job.__qualname__ = run.__name__
    return job


def _bound(run: CatalogueJob, environment: JobEnvironment) -> JobFunction:
    async def job(context: JobContext) -> JobResult:
        return await run(environment, context)

    job.__name__ = job.__qualname__ = run.__name__
    return job


def _spec(entry: _Entry, function: JobFunction) -> JobSpec:
    return JobSpec(
        job_id=entry.job_id,
        name=entry.name,
        trigger=entry.trigger,
        source=entry.source,
        enabled=True,
        function=function,
        description=entry.description,
        needs_tushare=entry.needs_tushare,
    )


CATALOGUE: dict[str, JobSpec] = {entry.job_id: _spec(entry, _lazy(entry.run)) for entry in _ENTRIES}


def configured_catalogue(
    settings: CatalogueSettings, environment: JobEnvironment | None = None
) -> dict[str, JobSpec]:
    """The catalogue with the settings applied, its functions bound to `environment` (if given).

    Triggers, enabling and run policies are overridden by the scheduler's settings (`SCHEDULER_JOBS__...`,
    see services/scheduler/catalogue.py); here only what the data layer knows: no tushare token, no
    tushare jobs."""
    configured: dict[str, JobSpec] = {}
    for entry in _ENTRIES:
        spec = CATALOGUE[entry.job_id]
        if environment is not None:
            spec = replace(spec, function=_bound(entry.run, environment))
        if entry.needs_tushare and settings.tushare_token is None:
            spec = replace(spec, enabled=False, disabled_reason=TOKEN_MISSING)
        configured[entry.job_id] = spec
    return configured
