"""The job catalogue as data: every built-in job's id, names, default trigger, run policy and pool.

The scheduler registers these jobs, the API seeds their display names and descriptions, and the workers
map each `job_kind` to the code that runs it (`services/workers/catalogue/registry.py`; a test checks that
both name the same kinds). The parameters each kind accepts are declared in `contracts/job_parameters.py`.
Nothing here imports a data provider: a process that only schedules or serves the API never loads pandas
or a market library.

To add a job: one `CatalogueEntry` in `DATA_SYNC_JOBS`, its parameters in `contracts/job_parameters.py`
and its function in the workers' registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Literal

from domain.run_policy import RunPolicy
from domain.triggers.dst import DEFAULT_DST_POLICY
from domain.triggers.dst import DstPolicy

Source = Literal["canary", "tushare", "akshare", "baostock", "multi"]

CANARY_JOB_ID = "pipeline_canary"
CANARY_NAME = "流水线自检（Canary）"
DEFAULT_POOL = "default"
TUSHARE_TOKEN_MISSING = (
    "SCHEDULER_TUSHARE_TOKEN is not set: tushare jobs are disabled until a token is configured"
)


@dataclass(frozen=True)
class CatalogueEntry:
    """One built-in job with its defaults; settings may override the trigger, state, kwargs and policy.

    `trigger` is a spec string (`HH:MM`, `interval:<seconds>` or a five-field cron, in the scheduler's
    time zone); `description` is what the console shows, `notes` what the job does in the providers' terms.
    `paused_reason`, when set, registers the job paused with that reason. `dst` is what a wall-clock
    trigger does in the repeated and skipped hours of daylight saving time (`domain/triggers/dst.py`).
    """

    job_id: str
    name: str
    trigger: str
    source: Source
    description: str
    notes: str = ""
    kwargs: dict[str, Any] = field(default_factory=dict)
    policy: RunPolicy = field(default_factory=RunPolicy)
    misfire_grace_time: int = 300
    pool: str = DEFAULT_POOL
    paused_reason: str | None = None
    dst: DstPolicy = DEFAULT_DST_POLICY

    @property
    def job_kind(self) -> str:
        """The name a worker registers the job's code under (the job id for every built-in job)."""
        return self.job_id

    @property
    def needs_tushare(self) -> bool:
        """Whether the job calls tushare only, so cannot run without a token."""
        return self.source == "tushare"


CANARY = CatalogueEntry(
    job_id=CANARY_JOB_ID,
    name=CANARY_NAME,
    trigger="interval:300",
    source="canary",
    description="",  # no preset: the console shows the name alone, as before
    notes="progress reports over `duration_s`; `fail`/`partial` end it so on purpose",
    kwargs={"duration_s": 2, "steps": 4},
    policy=RunPolicy(overlap="allow", max_concurrent=1000),
    misfire_grace_time=60,
    paused_reason="canary: paused by default, trigger it by hand",
)


def _job(
    job_id: str, name: str, trigger: str, source: Source, description: str, notes: str
) -> CatalogueEntry:
    """One data-sync job with the default policy, kwargs and pool."""
    return CatalogueEntry(job_id, name, trigger, source, description, notes)


# Periodic analysis of the stored data (no network): it runs after the day's historical syncs that need no
# token (job dependencies); registered paused, as the syncs' data may not be wanted.
MARKET_DAILY_REVIEW = CatalogueEntry(
    job_id="market_daily_review",
    name="每日市场复盘",
    trigger="after:akshare_historical_sync,baostock_historical_sync",
    source="multi",
    description="工作日收盘后根据已存储的日线与基础信息生成当日复盘：涨跌家数、按板块规则的涨停跌停、"
    "成交额、涨跌幅中位数、涨跌幅前十与行业平均涨跌幅，写入 market_daily_review。",
    notes="advancers/decliners, limit-up/down by board rules, amount, movers, industries; from stored bars",
    paused_reason="off by default: it runs after the day's historical syncs (akshare, baostock); "
    "enable it with SCHEDULER_JOBS__MARKET_DAILY_REVIEW__ENABLED=true",
)

DATA_SYNC_JOBS: tuple[CatalogueEntry, ...] = (
    _job("basics_sync_service", "股票基础信息同步（多数据源）", "06:30", "multi",
         "每日同步股票列表、最新交易日与每日基础指标到 stock_basic_info，"
         "按 Tushare → AKShare → BaoStock 顺序回退，批量写入。",
         "stock list + latest trade date + daily basics; tushare → akshare → baostock fallback"),
    _job("quotes_ingestion_service", "实时行情入库服务", "interval:360", "multi",
         "交易时段内每 6 分钟采集全市场行情快照写入 market_quotes，"
         "数据源轮换：Tushare rt_k → AKShare 东方财富 → AKShare 新浪。",
         "full-market snapshot in trading hours; rotates sources"),
    _job("tushare_basic_info_sync", "股票基础信息同步（Tushare）", "0 2 * * *", "tushare",
         "每日 02:00 从 Tushare 获取沪深上市股票基础信息，写入 stock_basic_info。",
         "stock_basic(list_status='L') per exchange: SSE, SZSE, BSE"),
    _job("tushare_quotes_sync", "实时行情同步（Tushare）", "*/5 9-15 * * 1-5", "tushare",
         "交易时段每 5 分钟通过一次 rt_k 调用获取全市场实时行情写入 market_quotes；"
         "非交易时间跳过，手动触发可用 force 强制执行。",
         "whole market in one rt_k call; trading time only unless force"),
    _job("tushare_historical_sync", "历史数据同步（Tushare）", "0 16 * * 1-5", "tushare",
         "工作日 16:00 按股票增量同步不复权日线与复权因子，按同一基准前复权，写入 stock_daily_quotes。",
         "incremental daily + adj_factor per symbol, qfq on one basis"),
    _job("tushare_financial_sync", "财务数据同步（Tushare）", "0 3 * * 0", "tushare",
         "每周日 03:00 同步利润表、资产负债表、现金流量表与财务指标到 stock_financial_data。",
         "income, balance sheet, cash flow, indicators"),
    _job("tushare_status_check", "数据源状态检查（Tushare）", "0 * * * *", "tushare",
         "每小时检查 Tushare 是否可用，以及 stock_basic_info、market_quotes 的数据量与新鲜度。",
         "reachability, counts and freshness"),
    _job("akshare_basic_info_sync", "股票基础信息同步（AKShare）", "0 3 * * *", "akshare",
         "每日 03:00 从 AKShare 获取 A 股代码与名称及个股信息，写入 stock_basic_info。",
         "stock_info_a_code_name + stock_individual_info_em"),
    _job("akshare_quotes_sync", "实时行情同步（AKShare）", "*/30 9-15 * * 1-5", "akshare",
         "交易时段每 30 分钟从 AKShare 获取全市场行情（新浪，东方财富为备用）写入 market_quotes。",
         "stock_zh_a_spot, stock_zh_a_spot_em as fallback"),
    _job("akshare_historical_sync", "历史数据同步（AKShare）", "0 17 * * 1-5", "akshare",
         "工作日 17:00 从 AKShare 增量同步不复权日线与复权因子，按同一基准前复权，写入 stock_daily_quotes。",
         "incremental stock_zh_a_hist + sina factors, qfq on one basis"),
    _job("akshare_financial_sync", "财务数据同步（AKShare）", "0 4 * * 0", "akshare",
         "每周日 04:00 从 AKShare 同步财务摘要与财务报表到 stock_financial_data。",
         "financial abstract and statements"),
    _job("akshare_status_check", "数据源状态检查（AKShare）", "30 * * * *", "akshare",
         "每小时第 30 分钟检查 AKShare 是否可用，以及行情与基础信息的数据量与新鲜度。",
         "reachability, counts and freshness"),
    _job("baostock_basic_info_sync", "股票基础信息同步（BaoStock）", "0 4 * * *", "baostock",
         "每日 04:00 从 BaoStock 获取证券基本资料，写入 stock_basic_info。",
         "query_stock_basic"),
    # baostock publishes the day's bars at about 17:30: at 16:00 only the previous day's were there
    _job("baostock_daily_quotes_sync", "日K线数据同步（BaoStock）", "0 18 * * 1-5", "baostock",
         "工作日 18:00（BaoStock 当日日线发布之后）获取每只股票当日 K 线，写入 market_quotes。",
         "the day's bar per SH/SZ stock, once published"),
    _job("baostock_historical_sync", "历史数据同步（BaoStock）", "0 18 * * 1-5", "baostock",
         "工作日 18:00 从 BaoStock 同步最近 30 天的 K 线数据，写入 stock_daily_quotes。",
         "k data + adjust factors, last 30 days"),
    _job("baostock_status_check", "数据源状态检查（BaoStock）", "45 * * * *", "baostock",
         "每小时第 45 分钟检查 BaoStock 是否可用，以及行情与基础信息的数据量与新鲜度。",
         "reachability, counts and freshness"),
    _job("news_sync", "新闻数据同步（AKShare）", "0 */2 * * *", "akshare",
         "每 2 小时从东方财富同步自选股票的新闻（每只最多 10 条），写入 stock_news。",
         "stock_news_em for watched symbols: its latest page (10 items) per stock"),
    MARKET_DAILY_REVIEW,
    _job("trade_calendar_sync", "交易日历同步", "30 8 * * *", "multi",
         "每日 08:30 从 AKShare（新浪）获取沪深交易日历（BaoStock、Tushare 为备用），"
         "只保留完整年份写入调度库，供 policy.calendar 限定交易日执行的任务使用；从不删除已知年份。",
         "tool_trade_date_hist_sina → query_trade_dates → trade_cal; whole years upserted"),
)  # fmt: skip

CATALOGUE: dict[str, CatalogueEntry] = {entry.job_id: entry for entry in (CANARY, *DATA_SYNC_JOBS)}
