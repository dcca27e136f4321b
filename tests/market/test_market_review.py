"""`market_daily_review` on a fixture market of 33 stocks, in both market stores, every figure computed by
hand: prices exactly at each board's limit and one fen beside it (main ±10 %, ST ±5 % before 2025-07-07
and ±10 % after, ChiNext and STAR ±20 %, Beijing ±30 %, rounding half up to the fen), new listings in
their first days (no limit), the preferred source, forward-adjusted bars read at their traded prices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infrastructure.market.port import MARKET_DAILY_REVIEW
from infrastructure.market.port import STOCK_BASIC_INFO
from infrastructure.market.port import STOCK_DAILY_QUOTES
from infrastructure.market.port import MarketStore
from services.workers.catalogue.environment import JobEnvironment
from services.workers.catalogue.environment import Libraries
from services.workers.catalogue.review import market_daily_review
from services.workers.job_api import PartialResult
from tests.workers.conftest import settings_for
from tests.workers.fakes import FakeAkshare
from tests.workers.fakes import FakeBaostock
from tests.workers.fakes import FakeClock
from tests.workers.fakes import FakeContext
from tests.workers.fakes import FakeTushareApi
from tests.workers.fakes import shanghai

DAY = "2025-06-13"  # a Friday, before the 2025 change of main-board ST limits
# code, name, industry, previous close, close (traded prices)
MARKET: list[tuple[str, str | None, str | None, float | None, float]] = [
    ("600001", "甲银行", "银行", 10.00, 11.00),  # main: limit-up 11.00 exactly
    ("600002", "乙银行", "银行", 10.00, 10.99),  # one fen below
    ("600003", "丙钢铁", "钢铁", 10.00, 9.00),  # limit-down 9.00 exactly
    ("600004", "丁钢铁", "钢铁", 10.00, 9.01),  # one fen above
    ("000005", "戊地产", "地产", 12.35, 13.59),  # 12.35 × 1.1 = 13.585 → 13.59
    ("000006", "己地产", "地产", 12.35, 13.58),
    ("000007", "庚电力", "电力", 12.35, 11.12),  # 12.35 × 0.9 = 11.115 → 11.12
    ("000008", "辛电力", "电力", 12.35, 11.13),
    ("600009", "ST壬", "综合", 4.00, 4.20),  # main-board ST: ±5 %
    ("600010", "*ST癸", "综合", 4.00, 4.19),
    ("000011", "ST子", "综合", 4.00, 3.80),
    ("000012", "*ST丑", "综合", 4.00, 3.81),
    ("300013", "寅科技", "电子", 25.00, 30.00),  # ChiNext ±20 %
    ("300014", "卯科技", "电子", 25.00, 29.99),
    ("301015", "辰科技", "电子", 25.00, 20.00),
    ("301016", "巳科技", "电子", 25.00, 20.01),
    ("300017", "ST午", "电子", 5.00, 6.00),  # ChiNext ST: ±20 % too
    ("688018", "未芯片", "半导体", 33.33, 40.00),  # STAR: 33.33 × 1.2 = 39.996 → 40.00
    ("688019", "申芯片", "半导体", 33.33, 39.99),
    ("688020", "酉芯片", "半导体", 33.33, 26.66),  # 33.33 × 0.8 = 26.664 → 26.66
    ("689021", "戌芯片", "半导体", 33.33, 26.67),
    ("920022", "亥精工", "机械", 8.00, 10.40),  # Beijing ±30 %
    ("920023", "甲精工", "机械", 8.00, 10.39),
    ("830024", "乙精工", "机械", 8.00, 5.60),
    ("430025", "丙精工", "机械", 8.00, 5.61),
    ("301026", "新股一", "电子", 20.00, 30.00),  # listed 2025-06-11: day 3 of 5 without limit
    ("600027", "新股二", "银行", 5.00, 7.20),  # listed this day: day 1 of 5 without limit
    ("600028", "丁港口", "交运", 7.77, 7.77),
    ("000029", "戊港口", "交运", 7.77, 7.77),
    ("600030", "己食品", "食品", 10.00, 10.50),
    ("600031", "庚食品", "食品", 10.00, 9.70),
    ("002032", "辛医药", None, 20.00, 20.20),  # no industry: 未知
    ("600033", "壬食品", "食品", None, 8.88),  # no previous close: counted in stocks and amount only
]
LISTED = {"301026": "2025-06-11", "600027": "2025-06-13"}


def bar(
    code: str, day: str, previous: float | None, close: float, amount: float, **extra: Any
) -> dict[str, Any]:
    return {
        "code": code, "symbol": code, "trade_date": day, "period": "daily", "data_source": "tushare",
        "open": close, "high": close, "low": close, "close": close, "pre_close": previous, "amount": amount,
        **extra,
    }  # fmt: skip


async def seed(store: MarketStore) -> None:
    bars = [
        bar(code, DAY, previous, close, 1_000_000.0 * number)
        for number, (code, _, _, previous, close) in enumerate(MARKET, 1)
    ]
    # Forward-adjusted as the history jobs store them: the traded prices beside decide.
    # (read adjusted, 5.50 would be 5.00's limit-up).
    bars[1] = {**bars[1], "close": 5.5, "pre_close": 5.0, "raw_close": 10.99, "raw_pre_close": 10.00}
    bars += [
        bar("600001", DAY, 10.00, 10.50, 99.0, data_source="akshare"),  # tushare's bar is preferred
        bar("301026", "2025-06-11", 10.00, 14.00, 1.0),
        bar("301026", "2025-06-12", 14.00, 20.00, 1.0),
        bar("600009", "2025-07-08", 4.20, 4.62, 1.0),  # main-board ST: ±10 % from 2025-07-07
        bar("000011", "2025-07-08", 3.80, 3.61, 1.0),  # -5 %: no longer the limit
    ]
    await store.replace(STOCK_DAILY_QUOTES, bars)
    basics = [
        {"code": code, "source": "tushare", "name": name, "industry": industry,
         "list_date": LISTED.get(code, "2010-01-04")}
        for code, name, industry, _, _ in MARKET
    ]  # fmt: skip
    await store.upsert(STOCK_BASIC_INFO, basics)


def environment(
    tmp_path: Path, store: MarketStore, *, today: tuple[int, int, int] = (2025, 7, 10)
) -> JobEnvironment:
    return JobEnvironment.from_settings(
        settings_for(tmp_path),
        clock=FakeClock(shanghai(*today)),
        store=store,
        libraries=Libraries(
            tushare_api=lambda token, timeout: FakeTushareApi(), akshare=FakeAkshare, baostock=FakeBaostock
        ),
    )


LIMIT_UP = ["000005", "300013", "300017", "600001", "600009", "688018", "920022"]
LIMIT_DOWN = ["000007", "000011", "301015", "600003", "688020", "830024"]


async def test_every_figure_of_the_day(tmp_path: Path, market_store: MarketStore) -> None:
    await seed(market_store)
    result = await market_daily_review(
        environment(tmp_path, market_store), FakeContext("r", {"trade_date": DAY})
    )
    expected_summary = {
        "trade_date": DAY, "stocks": 33, "advancers": 17, "decliners": 13, "unchanged": 2,
        "limit_up": 7, "limit_down": 6, "total_amount": 561_000_000.0, "median_change_pct": 2.875,
    }  # fmt: skip
    assert result == {"status": "success", "reviews": [expected_summary]}
    [stored] = await market_store.find(MARKET_DAILY_REVIEW, {"trade_date": DAY})
    assert stored["limit_up"] == LIMIT_UP
    assert stored["limit_down"] == LIMIT_DOWN
    assert [(m["code"], m["change_pct"]) for m in stored["top_gainers"]] == [
        ("301026", 50.0), ("600027", 44.0), ("920022", 30.0), ("920023", 29.875), ("688018", 20.012),
        ("300013", 20.0), ("300017", 20.0), ("688019", 19.982), ("300014", 19.96), ("000005", 10.0405),
    ]  # fmt: skip
    assert [(m["code"], m["change_pct"]) for m in stored["top_losers"]] == [
        ("830024", -30.0), ("430025", -29.875), ("688020", -20.012), ("301015", -20.0), ("689021", -19.982),
        ("301016", -19.96), ("600003", -10.0), ("000007", -9.9595), ("600004", -9.9), ("000008", -9.8785),
    ]  # fmt: skip
    assert stored["top_gainers"][0] == {"code": "301026", "name": "新股一", "close": 30.0, "change_pct": 50.0}
    industries = {name: (row["stocks"], row["mean_change_pct"]) for name, row in stored["industries"].items()}
    assert industries == {
        "银行": (3, 21.3), "钢铁": (2, -9.95), "地产": (2, 10.0), "电力": (2, -9.919), "综合": (4, 0.0),
        "电子": (6, 11.6667), "半导体": (4, 0.0), "机械": (4, 0.0), "交运": (2, 0.0), "食品": (2, 1.0),
        "未知": (1, 1.0),
    }  # fmt: skip
    again = await market_daily_review(
        environment(tmp_path, market_store), FakeContext("r", {"trade_date": DAY})
    )
    assert again == result and await market_store.count(MARKET_DAILY_REVIEW) == 1, "idempotent"


async def test_a_range_after_the_st_change_with_a_weekend_and_a_day_without_bars(
    tmp_path: Path, market_store: MarketStore
) -> None:
    await seed(market_store)
    kwargs = {"start_date": "2025-07-05", "end_date": "2025-07-08"}
    result = await market_daily_review(environment(tmp_path, market_store), FakeContext("r", kwargs))
    assert isinstance(result, PartialResult)
    assert result.reason == "market_daily_review: no stored daily bars for 2025-07-07"
    assert result.result["not_trading_days"] == ["2025-07-05", "2025-07-06"]
    [day] = result.result["reviews"]
    assert (day["trade_date"], day["stocks"], day["limit_up"], day["limit_down"]) == ("2025-07-08", 2, 1, 0)
    [stored] = await market_store.find(MARKET_DAILY_REVIEW, {"trade_date": "2025-07-08"})
    assert stored["limit_up"] == ["600009"] and stored["limit_down"] == []


async def test_a_weekday_holiday_is_not_a_trading_day_not_a_day_without_bars(
    tmp_path: Path, market_store: MarketStore
) -> None:
    await seed(market_store)
    later = environment(tmp_path, market_store, today=(2025, 10, 10))
    holiday = await market_daily_review(later, FakeContext("r", {"trade_date": "2025-10-01"}))  # National Day
    assert holiday == {"status": "success", "reviews": [], "not_trading_days": ["2025-10-01"]}
    kwargs = {"start_date": "2025-09-30", "end_date": "2025-10-09"}
    span = await market_daily_review(later, FakeContext("r", kwargs))
    assert isinstance(span, PartialResult)
    assert span.reason == "market_daily_review: no stored daily bars for 2025-09-30, 2025-10-09"
    assert span.result["not_trading_days"] == [f"2025-10-0{day}" for day in range(1, 9)]
    assert await market_store.count(MARKET_DAILY_REVIEW) == 0


async def test_the_default_day_is_the_latest_with_bars(tmp_path: Path, market_store: MarketStore) -> None:
    await seed(market_store)
    result = await market_daily_review(environment(tmp_path, market_store), FakeContext("r"))
    assert isinstance(result, dict) and [day["trade_date"] for day in result["reviews"]] == ["2025-07-08"]


async def test_nothing_stored_a_future_day_and_bad_dates(tmp_path: Path, market_store: MarketStore) -> None:
    empty = await market_daily_review(environment(tmp_path, market_store), FakeContext("r"))
    assert isinstance(empty, PartialResult) and "no daily bars stored yet" in empty.reason
    for kwargs, problem in [
        ({"trade_date": "2025-07-11"}, "2025-07-11 is in the future (today is 2025-07-10)"),
        ({"trade_date": "2025-13-01"}, "trade_date must be YYYY-MM-DD"),
        ({"start_date": "2025-07-08", "end_date": "2025-07-01"}, "start_date 2025-07-08 is after end_date"),
        ({"start_date": "2023-01-01"}, "at most 366 days"),
        ({"trade_date": DAY, "start_date": DAY}, "not both"),
    ]:
        with pytest.raises(ValueError, match=problem.replace("(", r"\(").replace(")", r"\)")):
            await market_daily_review(environment(tmp_path, market_store), FakeContext("r", kwargs))
