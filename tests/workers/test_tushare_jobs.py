"""The tushare jobs over fixtures: what is written, units, progress, quota waits, retries, bad rows."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise

import pytest
import tushare  # type: ignore[import-untyped]  # tushare ships no type hints

from infrastructure.market.port import MARKET_QUOTES
from infrastructure.market.port import STOCK_BASIC_INFO
from infrastructure.market.port import STOCK_DAILY_QUOTES
from services.workers.catalogue import basics
from services.workers.catalogue import financial
from services.workers.catalogue import history
from services.workers.catalogue import quotes
from services.workers.catalogue import status
from services.workers.catalogue.loop import SyncFailed
from services.workers.job_api import RunCancelled

from .conftest import MakeEnvironment
from .fakes import FakeClock
from .fakes import FakeContext
from .fakes import FakeTushareApi
from .fakes import payload
from .fakes import shanghai

QUOTA_ANSWER = "抱歉，您每分钟最多访问该接口500次，权限的具体详情访问：https://example.invalid/doc。"


async def test_basic_info_writes_listed_stocks_and_counts_bad_rows(
    make_environment: MakeEnvironment, tushare_api: FakeTushareApi
) -> None:
    environment = make_environment()
    context = FakeContext("tushare_basic_info_sync")

    result = payload(await basics.tushare_basic_info_sync(environment, context))

    assert result["status"] == "partial" and "3 provider rows unusable" in result["partial_reason"]
    assert (result["inserted"], result["updated"], result["skipped"]) == (7, 0, 3)
    assert result["skipped_reasons"] == {"unknown code": 1, "missing name": 1, "duplicate key": 1}
    stored = await (await environment.market()).find(STOCK_BASIC_INFO)
    assert [row["code"] for row in stored] == [
        "000001", "300750", "302132", "600000", "688981", "689009", "920118"
    ]  # fmt: skip
    boards = {row["code"]: (row["market"], row["exchange"]) for row in stored}
    assert boards["302132"] == ("创业板", "SZSE")  # ChiNext's 2024 segment, not 主板
    assert boards["689009"] == ("科创板", "SSE")  # tushare says CDR: the board table decides
    assert boards["920118"] == ("北交所", "BSE")  # BSE asked too, and today's listing is there
    exchanges = [params["exchange"] for name, params in tushare_api.calls if name == "stock_basic"]
    assert exchanges == ["SSE", "SZSE", "BSE"]
    first = stored[3]
    assert first["full_symbol"] == "600000.SH" and first["market"] == "主板" and first["source"] == "tushare"
    assert first["list_date"] == "1999-11-10" and first["name"] == "浦发银行"
    again = payload(await basics.tushare_basic_info_sync(environment, FakeContext("tushare_basic_info_sync")))
    assert (again["inserted"], again["updated"]) == (0, 7)  # idempotent


async def test_quotes_normalise_one_snapshot_and_skip_malformed_rows(
    make_environment: MakeEnvironment,
) -> None:
    environment = make_environment()

    result = payload(await quotes.tushare_quotes_sync(environment, FakeContext("tushare_quotes_sync")))

    assert result["inserted"] == 6 and result["suspended"] == 1  # 601866: no close, no trade
    assert result["skipped_reasons"] == {"non-numeric close": 1, "unknown code": 1, "duplicate key": 1}
    suspended = (await (await environment.market()).find(MARKET_QUOTES, {"code": "601866"}))[0]
    assert suspended["suspended"] is True and "price" not in suspended and suspended["pre_close"] == 2.28
    quote = (await (await environment.market()).find(MARKET_QUOTES, {"code": "600000"}))[0]
    assert quote["price"] == quote["close"] == 9.52
    assert quote["volume"] == 55845293 and quote["amount"] == 531364882  # rt_k: shares, yuan already
    assert quote["change"] == pytest.approx(0.02) and quote["pct_chg"] == pytest.approx(0.2105, abs=1e-3)
    assert quote["trade_date"] == "2024-10-11" and quote["data_source"] == "tushare"


@pytest.mark.parametrize(
    ("moment", "reason"),
    [
        (shanghai(2024, 10, 2, 10, 0), "exchange holiday"),
        (shanghai(2024, 10, 12, 10, 0), "weekend"),
        (shanghai(2024, 10, 11, 12, 0), "outside the trading sessions"),
        (shanghai(2024, 10, 11, 15, 30), "outside the trading sessions"),
    ],
)
async def test_quotes_skip_outside_sessions_unless_forced(
    make_environment: MakeEnvironment,
    clock: FakeClock,
    tushare_api: FakeTushareApi,
    moment: datetime,
    reason: str,
) -> None:
    clock.set_now(moment)
    environment = make_environment()

    skipped = payload(await quotes.tushare_quotes_sync(environment, FakeContext("tushare_quotes_sync")))
    forced = payload(
        await quotes.tushare_quotes_sync(environment, FakeContext("tushare_quotes_sync", force=True))
    )

    assert skipped["status"] == "skipped" and reason in skipped["reason"]
    assert tushare_api.count("rt_k") == 1  # only the forced run asked
    assert forced["status"] == "partial"  # the fixture's bad rows


async def test_calendar_is_fetched_once_and_cached(
    make_environment: MakeEnvironment, tushare_api: FakeTushareApi
) -> None:
    environment = make_environment()
    for _ in range(3):
        await quotes.tushare_quotes_sync(environment, FakeContext("tushare_quotes_sync"))
    assert tushare_api.count("trade_cal") == 1


async def test_history_units_basis_and_incremental(
    make_environment: MakeEnvironment, tushare_api: FakeTushareApi, clock: FakeClock
) -> None:
    environment = make_environment(history_start_days=30)
    kwargs = {"symbols": ["600000", "000001.SZ"]}

    first = payload(
        await history.tushare_historical_sync(environment, FakeContext("tushare_historical_sync", kwargs))
    )

    store = await environment.market()
    assert first["status"] == "success" and first["inserted"] == 2 * 10
    bars = await store.find(STOCK_DAILY_QUOTES, {"symbol": "000001"})
    day = next(bar for bar in bars if bar["trade_date"] == "2024-09-23")
    assert day["volume"] == 118_000_000  # 1180000 手 × 100
    assert day["amount"] == pytest.approx(1_157_580_000.0, abs=1)  # 1157580.0 千元 × 1000
    assert day["raw_low"] <= day["amount"] / day["volume"] <= day["raw_high"]
    assert (day["period"], day["data_source"], day["adjust"]) == ("daily", "tushare", "qfq")
    assert await store.last_trade_dates("tushare") == {"000001": "2024-10-11", "600000": "2024-10-11"}

    clock.advance(3 * 86400)  # Monday 2024-10-14: one more bar each
    second = payload(
        await history.tushare_historical_sync(environment, FakeContext("tushare_historical_sync", kwargs))
    )
    starts = [params["start_date"] for name, params in tushare_api.calls if name == "daily"]
    assert starts[-2:] == ["20241012", "20241012"]
    assert second["inserted"] == 2 and second["updated"] == 10  # 600000's ex-rights day rebased its 10


async def test_history_reads_only_up_to_an_end_date(
    make_environment: MakeEnvironment, tushare_api: FakeTushareApi
) -> None:
    """A backfill's day (`start_date` = `end_date`) is read alone, not from that day to the latest."""
    environment = make_environment(history_start_days=30)
    kwargs = {"symbols": ["000001.SZ"], "start_date": "2024-09-23", "end_date": "2024-09-23"}

    result = payload(
        await history.tushare_historical_sync(environment, FakeContext("tushare_historical_sync", kwargs))
    )

    windows = [
        (params["start_date"], params["end_date"]) for name, params in tushare_api.calls if name == "daily"
    ]
    assert windows == [("20240923", "20240923")]
    store = await environment.market()
    assert [bar["trade_date"] for bar in await store.find(STOCK_DAILY_QUOTES, {"symbol": "000001"})] == [
        "2024-09-23"
    ]
    assert result["status"] == "success"


async def test_ex_rights_across_incremental_runs_keep_one_basis_equal_to_one_call(
    make_environment: MakeEnvironment, tushare_api: FakeTushareApi, clock: FakeClock
) -> None:
    """600000 has two ex-rights dates (2024-09-30, 2024-10-14); the runs' boundary falls between them."""
    environment = make_environment(history_start_days=30)
    kwargs = {"symbols": ["600000"]}
    for moment in (shanghai(2024, 9, 27, 17, 0), shanghai(2024, 10, 11, 17, 0), shanghai(2024, 10, 18, 17)):
        clock.set_now(moment)
        await history.tushare_historical_sync(environment, FakeContext("tushare_historical_sync", kwargs))

    stored = await (await environment.market()).find(STOCK_DAILY_QUOTES, {"symbol": "600000"})
    one_call = tushare.pro_bar(
        ts_code="600000.SH", api=FakeTushareApi(), adj="qfq", start_date="20240828", end_date="20241018"
    ).sort_values("trade_date")
    assert [bar["trade_date"].replace("-", "") for bar in stored] == list(one_call["trade_date"])
    for name in ("open", "high", "low", "close"):
        assert [bar[name] for bar in stored] == pytest.approx(list(one_call[name]), abs=0.006)
    assert {(bar["basis_factor"], bar["basis_date"]) for bar in stored} == {(12.489144, "2024-10-14")}
    closes = [bar["close"] for bar in stored]
    assert max(abs(b / a - 1) for a, b in pairwise(closes)) < 0.035  # no jump


async def test_quota_answer_waits_on_the_clock_then_continues(
    make_environment: MakeEnvironment, tushare_api: FakeTushareApi, clock: FakeClock
) -> None:
    environment = make_environment()
    tushare_api.fail("daily", Exception(QUOTA_ANSWER))

    result = payload(
        await history.tushare_historical_sync(
            environment, FakeContext("tushare_historical_sync", {"symbols": ["600000"]})
        )
    )

    assert result["status"] == "success" and result["failed"] == 0 and result["inserted"] > 0
    assert 60.0 in clock.sleeps


async def test_rate_limiter_keeps_the_tier_quota_with_its_margin(
    make_environment: MakeEnvironment, clock: FakeClock
) -> None:
    environment = make_environment(tushare_calls_per_minute=10, tushare_safety_margin=0.2)  # 8/min
    kwargs = {"symbols": ["600000", "000001", "300750"], "start_date": "2024-10-08"}
    await history.tushare_historical_sync(environment, FakeContext("tushare_historical_sync", kwargs))
    await history.tushare_historical_sync(environment, FakeContext("tushare_historical_sync", kwargs))
    # trade_cal (1) + 2 runs × 3 symbols × pro_bar (2 calls) = 13 calls: the 9th had to wait a minute
    assert clock.sleeps and sum(clock.sleeps) == pytest.approx(60.0)


async def test_transient_errors_are_retried_with_backoff(
    make_environment: MakeEnvironment, tushare_api: FakeTushareApi, clock: FakeClock
) -> None:
    environment = make_environment(retry_attempts=3, retry_base_delay_s=2.0)
    tushare_api.fail("rt_k", ConnectionError("reset"), TimeoutError("slow"))

    result = payload(await quotes.tushare_quotes_sync(environment, FakeContext("tushare_quotes_sync")))

    assert result["inserted"] == 6 and tushare_api.count("rt_k") == 3
    assert 2.0 <= clock.sleeps[0] <= 2.5 and 4.0 <= clock.sleeps[1] <= 5.0


async def test_a_failing_symbol_is_counted_not_fatal(
    make_environment: MakeEnvironment, tushare_api: FakeTushareApi
) -> None:
    environment = make_environment()
    tushare_api.fail("daily", Exception("抱歉，您没有访问该接口的权限"))  # not retried: a provider error

    result = payload(
        await history.tushare_historical_sync(
            environment, FakeContext("tushare_historical_sync", {"symbols": ["600000", "000001", "300750"]})
        )
    )

    assert result["status"] == "partial" and result["failed"] == 1
    assert result["failures"][0]["item"] == "600000" and "权限" in result["failures"][0]["error"]


async def test_most_symbols_failing_fails_the_run(
    make_environment: MakeEnvironment, tushare_api: FakeTushareApi
) -> None:
    environment = make_environment()
    tushare_api.fail("daily", *(Exception("抱歉，您没有访问该接口的权限") for _ in range(2)))

    with pytest.raises(SyncFailed, match=r"3/3 processed, .* 2 failed"):
        await history.tushare_historical_sync(
            environment, FakeContext("tushare_historical_sync", {"symbols": ["600000", "000001", "300750"]})
        )


async def test_progress_per_batch_and_cancel(make_environment: MakeEnvironment) -> None:
    environment = make_environment()  # batches of 2 symbols
    context = FakeContext("tushare_historical_sync", {"symbols": ["600000", "000001", "300750"]})

    await history.tushare_historical_sync(environment, context)

    assert [event["processed_items"] for event in context.events] == [None, 2, 3]
    assert context.events[-1]["percent"] == 100.0 and context.events[-1]["total_items"] == 3
    assert context.events[1]["current_item"] == "000001"
    assert context.checks >= 3 + 2 * len(context.events)  # every symbol, and every report

    cancelled = FakeContext(
        "tushare_historical_sync", {"symbols": ["600000", "000001", "300750"]}, cancel_after=2
    )
    with pytest.raises(RunCancelled):
        await history.tushare_historical_sync(make_environment(), cancelled)
    assert len(cancelled.events) == 2


async def test_financials_merge_four_statements(make_environment: MakeEnvironment) -> None:
    environment = make_environment()

    result = payload(
        await financial.tushare_financial_sync(
            environment, FakeContext("tushare_financial_sync", {"symbols": ["600000"]})
        )
    )

    assert result["inserted"] == 2 and result["skipped_reasons"] == {"missing end_date": 1}
    rows = await (await environment.market()).find("stock_financial_data", {"symbol": "600000"})
    q3 = next(row for row in rows if row["report_period"] == "2024-09-30")
    assert q3["revenue"] == 1.3e11 and q3["net_profit"] == 3.1e10 and q3["total_assets"] == 9.4e12
    assert q3["roe"] == 4.1 and q3["operating_cash_flow"] == 1.1e11 and q3["ann_date"] == "2024-10-31"
    h1 = next(row for row in rows if row["report_period"] == "2024-06-30")
    assert h1["income"]["basic_eps"] == 0.8  # the newest of two copies of the period
    assert "gross_margin" not in h1  # a null headline figure is simply absent


async def test_basics_service_enriches_with_daily_basics(make_environment: MakeEnvironment) -> None:
    environment = make_environment()

    result = payload(await basics.basics_sync_service(environment, FakeContext("basics_sync_service")))

    assert result["source"] == "tushare" and result["fallbacks"] == []
    row = (await (await environment.market()).find(STOCK_BASIC_INFO, {"code": "600000"}))[0]
    assert row["trade_date"] == "2024-10-11" and row["pe"] == 6.1
    assert row["total_mv"] == pytest.approx(27943268.7 * 10_000)


async def test_status_check_reports_counts_and_freshness(
    make_environment: MakeEnvironment, clock: FakeClock
) -> None:
    environment = make_environment()
    await basics.tushare_basic_info_sync(environment, FakeContext("tushare_basic_info_sync"))
    clock.advance(120)

    result = payload(await status.tushare_status_check(environment, FakeContext("tushare_status_check")))

    assert result["reachable"] is True
    assert result["collections"]["stock_basic_info"]["count"] == 7
    assert result["collections"]["stock_basic_info"]["age_seconds"] == 120
    assert result["collections"]["market_quotes"]["count"] == 0


async def test_unreachable_status_check_fails_with_the_reason(
    make_environment: MakeEnvironment, tushare_api: FakeTushareApi
) -> None:
    environment = make_environment(retry_attempts=2)
    tushare_api.fail("trade_cal", ConnectionError("no route"), ConnectionError("no route"))

    with pytest.raises(SyncFailed, match=r"tushare unreachable.*no route"):
        await status.tushare_status_check(environment, FakeContext("tushare_status_check"))
