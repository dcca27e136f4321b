"""Display names and descriptions of the job catalogue (`../shared/spec/jobs.md`), seeded once.

`python -m services.api.presets` publishes an `UpdateJobMetadata` command (actor `presets`) for each job
that exists in `scheduler_jobs` and has no metadata yet: the API never writes read models itself, and an
operator's own edits are never overwritten. Running it again changes nothing once the projector has applied
the first run. It needs no credentials beyond the configured bus and store.
"""

from __future__ import annotations

import asyncio
import logging
import sys

from contracts.commands import UpdateJobMetadata
from infrastructure.adapters import make_bus, make_store
from infrastructure.bus.port import Bus
from infrastructure.bus.retry import connect_with_retry
from infrastructure.process import configure_logging
from infrastructure.settings import CommonSettings
from infrastructure.store.port import Store

logger = logging.getLogger(__name__)

ACTOR = "presets"
# job id -> (display name ≤ 50, description ≤ 200)
PRESETS: dict[str, tuple[str, str]] = {
    "basics_sync_service": (
        "股票基础信息同步（多数据源）",
        "每日同步股票列表、最新交易日与每日基础指标到 stock_basic_info，"
        "按 Tushare → AKShare → BaoStock 顺序回退，批量写入。",
    ),
    "quotes_ingestion_service": (
        "实时行情入库服务",
        "交易时段内每 6 分钟采集全市场行情快照写入 market_quotes，"
        "数据源轮换：Tushare rt_k → AKShare 东方财富 → AKShare 新浪。",
    ),
    "tushare_basic_info_sync": (
        "股票基础信息同步（Tushare）",
        "每日 02:00 从 Tushare 获取沪深上市股票基础信息，写入 stock_basic_info。",
    ),
    "tushare_quotes_sync": (
        "实时行情同步（Tushare）",
        "交易时段每 5 分钟通过一次 rt_k 调用获取全市场实时行情写入 market_quotes；"
        "非交易时间跳过，手动触发可用 force 强制执行。",
    ),
    "tushare_historical_sync": (
        "历史数据同步（Tushare）",
        "工作日 16:00 按股票增量同步不复权日线与复权因子，按同一基准前复权，写入 stock_daily_quotes。",
    ),
    "tushare_financial_sync": (
        "财务数据同步（Tushare）",
        "每周日 03:00 同步利润表、资产负债表、现金流量表与财务指标到 stock_financial_data。",
    ),
    "tushare_status_check": (
        "数据源状态检查（Tushare）",
        "每小时检查 Tushare 是否可用，以及 stock_basic_info、market_quotes 的数据量与新鲜度。",
    ),
    "akshare_basic_info_sync": (
        "股票基础信息同步（AKShare）",
        "每日 03:00 从 AKShare 获取 A 股代码与名称及个股信息，写入 stock_basic_info。",
    ),
    "akshare_quotes_sync": (
        "实时行情同步（AKShare）",
        "交易时段每 30 分钟从 AKShare 获取全市场行情（新浪，东方财富为备用）写入 market_quotes。",
    ),
    "akshare_historical_sync": (
        "历史数据同步（AKShare）",
        "工作日 17:00 从 AKShare 增量同步不复权日线与复权因子，按同一基准前复权，写入 stock_daily_quotes。",
    ),
    "akshare_financial_sync": (
        "财务数据同步（AKShare）",
        "每周日 04:00 从 AKShare 同步财务摘要与财务报表到 stock_financial_data。",
    ),
    "akshare_status_check": (
        "数据源状态检查（AKShare）",
        "每小时第 30 分钟检查 AKShare 是否可用，以及行情与基础信息的数据量与新鲜度。",
    ),
    "baostock_basic_info_sync": (
        "股票基础信息同步（BaoStock）",
        "每日 04:00 从 BaoStock 获取证券基本资料，写入 stock_basic_info。",
    ),
    "baostock_daily_quotes_sync": (
        "日K线数据同步（BaoStock）",
        "工作日 18:00（BaoStock 当日日线发布之后）获取每只股票当日 K 线，写入 market_quotes。",
    ),
    "baostock_historical_sync": (
        "历史数据同步（BaoStock）",
        "工作日 18:00 从 BaoStock 同步最近 30 天的 K 线数据，写入 stock_daily_quotes。",
    ),
    "baostock_status_check": (
        "数据源状态检查（BaoStock）",
        "每小时第 45 分钟检查 BaoStock 是否可用，以及行情与基础信息的数据量与新鲜度。",
    ),
    "news_sync": (
        "新闻数据同步（AKShare）",
        "每 2 小时从东方财富同步自选股票的新闻（每只最多 10 条），写入 stock_news。",
    ),
}


async def seed_presets(store: Store, bus: Bus, *, producer: str = "api.presets") -> list[str]:
    """Publish the preset metadata of every existing job that has none; returns the job ids sent."""
    commands = [
        UpdateJobMetadata(
            job_id=view.job.job_id,
            display_name=PRESETS[view.job.job_id][0],
            description=PRESETS[view.job.job_id][1],
            actor=ACTOR,
            producer=producer,
        )
        for view in await store.list_jobs()
        if view.metadata is None and view.job.job_id in PRESETS
    ]
    if commands:
        await bus.publish_many(commands)
    return [command.job_id for command in commands]


async def _main(settings: CommonSettings) -> list[str]:
    store = make_store(settings)
    bus = make_bus(settings, connection_name="api-presets")
    await store.open()
    try:
        await connect_with_retry(bus, attempts=5)
        try:
            return await seed_presets(store, bus)
        finally:
            await bus.close()
    finally:
        await store.close()


def main() -> int:
    settings = CommonSettings()
    if settings.bus == "memory":
        print(
            "error: the in-memory bus lives inside one process; run the presets inside the embedded "
            "system (seed_presets) or configure SCHEDULER_BUS=rabbitmq",
            file=sys.stderr,
        )
        return 1
    configure_logging(settings.log_level, service="api.presets")
    sent = asyncio.run(_main(settings))
    print(f"metadata presets sent for {len(sent)} job(s): {', '.join(sent) or '-'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
