"""The akshare jobs over fixtures: spot feeds and fallback, history, basics, financials, news, pauses."""

from __future__ import annotations

import pytest
import requests

from infrastructure.market.port import MARKET_QUOTES
from infrastructure.market.port import STOCK_BASIC_INFO
from infrastructure.market.port import STOCK_DAILY_QUOTES
from infrastructure.market.port import STOCK_NEWS
from services.workers.catalogue import basics
from services.workers.catalogue import financial
from services.workers.catalogue import history
from services.workers.catalogue import news
from services.workers.catalogue import quotes
from services.workers.catalogue import status
from services.workers.catalogue.loop import SyncFailed

from .conftest import MakeEnvironment
from .fakes import FakeAkshare
from .fakes import FakeClock
from .fakes import FakeContext
from .fakes import payload


async def test_quotes_prefer_sina_with_units_in_shares(
    make_environment: MakeEnvironment, akshare: FakeAkshare
) -> None:
    environment = make_environment(tushare_token=None)

    result = payload(await quotes.akshare_quotes_sync(environment, FakeContext("akshare_quotes_sync")))

    assert result["source"] == "akshare_sina" and result["inserted"] == 4
    assert result["suspended"] == 1 and result["status"] == "success"  # sina's "-": no trade, no price
    halted = (await (await environment.market()).find(MARKET_QUOTES, {"code": "300750"}))[0]
    assert (
        halted["suspended"] is True and "price" not in halted and halted["quote_at"] == "2024-10-11 15:00:00"
    )
    quote = (await (await environment.market()).find(MARKET_QUOTES, {"code": "830799"}))[0]
    assert quote["full_symbol"] == "830799.BJ" and quote["volume"] == 1203400.0
    assert akshare.count("stock_zh_a_spot_em") == 0


async def test_quotes_fall_back_to_eastmoney_in_hands(
    make_environment: MakeEnvironment, akshare: FakeAkshare
) -> None:
    environment = make_environment(tushare_token=None, retry_attempts=1)
    akshare.fail("stock_zh_a_spot", ValueError("sina answered an HTML page"))

    result = payload(await quotes.akshare_quotes_sync(environment, FakeContext("akshare_quotes_sync")))

    assert result["source"] == "akshare_eastmoney"
    assert result["fallbacks"][0]["source"] == "akshare_sina"
    quote = (await (await environment.market()).find(MARKET_QUOTES, {"code": "600000"}))[0]
    assert quote["volume"] == 558452.0 * 100 and quote["turnover_rate"] == 0.19
    assert result["suspended"] == 1 and result["status"] == "success"  # 601866: NaN price, no trade
    (halted,) = await (await environment.market()).find(MARKET_QUOTES, {"code": "601866"})
    assert halted["suspended"] is True and "price" not in halted and "volume" not in halted


async def test_ingestion_service_rotates_sources(
    make_environment: MakeEnvironment, akshare: FakeAkshare
) -> None:
    environment = make_environment()
    used = [
        (
            payload(
                await quotes.quotes_ingestion_service(environment, FakeContext("quotes_ingestion_service"))
            )
        )["source"]
        for _ in range(4)
    ]
    assert used == ["tushare", "akshare_eastmoney", "akshare_sina", "tushare"]

    akshare.fail("stock_zh_a_spot_em", ValueError("eastmoney answered an HTML page"))
    handed_over = payload(
        await quotes.quotes_ingestion_service(environment, FakeContext("quotes_ingestion_service"))
    )
    assert handed_over["source"] == "akshare_sina"
    assert handed_over["fallbacks"][0]["source"] == "akshare_eastmoney"
    assert "HTML page" in handed_over["fallbacks"][0]["error"]


async def test_history_pauses_between_batches_and_is_incremental(
    make_environment: MakeEnvironment, akshare: FakeAkshare, clock: FakeClock
) -> None:
    environment = make_environment(tushare_token=None, akshare_batch_pause_s=1.5, history_start_days=30)
    kwargs = {"symbols": ["600000", "000001", "300750"]}

    result = payload(
        await history.akshare_historical_sync(environment, FakeContext("akshare_historical_sync", kwargs))
    )

    assert result["inserted"] == 30 and clock.sleeps == [1.5]  # one pause between the two batches
    bar = (await (await environment.market()).find(STOCK_DAILY_QUOTES, {"symbol": "300750"}))[-1]
    assert bar["trade_date"] == "2024-10-11" and bar["volume"] == 10_981_700  # 109817 手
    assert bar["raw_low"] <= bar["amount"] / bar["volume"] <= bar["raw_high"]
    assert bar["pre_close"] == pytest.approx(bar["close"] - bar["change"])
    again = payload(
        await history.akshare_historical_sync(environment, FakeContext("akshare_historical_sync", kwargs))
    )
    assert again["status"] == "empty" and again["up_to_date"] == 3


async def test_basic_info_lists_then_enriches_per_stock(make_environment: MakeEnvironment) -> None:
    environment = make_environment(tushare_token=None)

    result = payload(
        await basics.akshare_basic_info_sync(
            environment, FakeContext("akshare_basic_info_sync", {"symbols": ["600000", "000001", "300750"]})
        )
    )

    assert result["listed"] == 6 and result["skipped_reasons"] == {
        "unknown code": 1, "missing name": 1, "duplicate key": 1, "no individual info": 1
    }  # fmt: skip
    row = (await (await environment.market()).find(STOCK_BASIC_INFO, {"code": "600000"}))[0]
    assert row["industry"] == "银行Ⅱ" and row["list_date"] == "1999-11-10" and row["name"] == "浦发银行"
    assert row["total_mv"] == 279432695033.0 and row["market"] == "主板"


async def test_financials_merge_abstract_and_statements(make_environment: MakeEnvironment) -> None:
    environment = make_environment(tushare_token=None)

    result = payload(
        await financial.akshare_financial_sync(
            environment, FakeContext("akshare_financial_sync", {"symbols": ["600000", "000001"]})
        )
    )

    assert result["inserted"] == 3 and result["skipped_reasons"] == {"invalid 报告日": 1}
    rows = await (await environment.market()).find("stock_financial_data", {"symbol": "600000"})
    q3 = next(row for row in rows if row["report_period"] == "2024-09-30")
    assert q3["net_profit"] == 3.1e10 and q3["roe"] == 4.1 and q3["total_assets"] == 9.4e12
    assert q3["cash_flow"]["经营活动产生的现金流量净额"] == 1.1e11


async def test_news_up_to_the_limit_with_bad_items_skipped(make_environment: MakeEnvironment) -> None:
    environment = make_environment(tushare_token=None, news_per_symbol=2, news_symbols=["600000", "000001"])

    result = payload(await news.news_sync(environment, FakeContext("news_sync")))

    assert result["inserted"] == 4
    assert result["skipped_reasons"] == {"duplicate key": 1, "missing 新闻标题": 1, "invalid 发布时间": 1}
    items = await (await environment.market()).find(STOCK_NEWS, {"symbol": "600000"})
    assert {item["publish_time"] for item in items} == {"2024-10-08 10:30:00", "2024-10-09 11:30:00"}


async def test_news_without_watch_list_or_stock_list_is_a_reported_skip(
    make_environment: MakeEnvironment,
) -> None:
    result = payload(await news.news_sync(make_environment(tushare_token=None), FakeContext("news_sync")))
    assert result["status"] == "skipped" and "SCHEDULER_NEWS_SYMBOLS" in result["reason"]


async def test_no_bars_where_some_were_due_ends_partial(
    make_environment: MakeEnvironment, akshare: FakeAkshare
) -> None:
    akshare.empty.add("stock_zh_a_hist")
    result = payload(
        await history.akshare_historical_sync(
            make_environment(tushare_token=None),
            FakeContext("akshare_historical_sync", {"symbols": ["600000"]}),
        )
    )
    assert result["status"] == "partial" and result["failed"] == 0 and result["inserted"] == 0
    assert "answered no bars" in result["partial_reason"]


async def test_rate_limited_http_answer_waits_and_continues(
    make_environment: MakeEnvironment, akshare: FakeAkshare, clock: FakeClock
) -> None:
    response = requests.Response()
    response.status_code = 429
    akshare.fail("stock_news_em", requests.HTTPError("429 Too Many Requests", response=response))

    result = payload(
        await news.news_sync(
            make_environment(tushare_token=None), FakeContext("news_sync", {"symbols": ["600000"]})
        )
    )

    assert result["failed"] == 0 and result["inserted"] > 0 and 60.0 in clock.sleeps


async def test_network_failures_in_a_row_end_the_run_quickly(
    make_environment: MakeEnvironment, akshare: FakeAkshare, clock: FakeClock
) -> None:
    environment = make_environment(tushare_token=None, retry_attempts=2, max_consecutive_network_failures=3)
    akshare.fail(
        "stock_zh_a_hist", *(requests.ConnectionError("Name or service not known") for _ in range(10))
    )
    symbols = ["600000", "000001", "300750", "600000.SH", "000001"]

    with pytest.raises(SyncFailed, match="provider unreachable, 3 network failures in a row"):
        await history.akshare_historical_sync(
            environment, FakeContext("akshare_historical_sync", {"symbols": symbols})
        )
    assert akshare.count("stock_zh_a_hist") == 6  # 3 symbols × 2 attempts, then it stopped


async def test_status_check(make_environment: MakeEnvironment) -> None:
    result = payload(
        await status.akshare_status_check(
            make_environment(tushare_token=None), FakeContext("akshare_status_check")
        )
    )
    assert result["reachable"] is True and result["source"] == "akshare"
