"""The baostock jobs over fixtures: sessions (login/logout), error codes, windows, latest bars."""

from __future__ import annotations

import pytest

from infrastructure.market.port import MARKET_QUOTES
from infrastructure.market.port import STOCK_BASIC_INFO
from infrastructure.market.port import STOCK_DAILY_QUOTES
from services.workers.catalogue import basics
from services.workers.catalogue import history
from services.workers.catalogue import quotes
from services.workers.catalogue import status
from services.workers.catalogue.loop import SyncFailed
from services.workers.providers.errors import ProviderError

from .conftest import MakeEnvironment
from .fakes import FakeAkshare
from .fakes import FakeBaostock
from .fakes import FakeClock
from .fakes import FakeContext
from .fakes import payload
from .fakes import shanghai


async def test_basic_info_keeps_listed_a_shares_inside_one_session(
    make_environment: MakeEnvironment, baostock: FakeBaostock
) -> None:
    environment = make_environment(tushare_token=None)

    result = payload(
        await basics.baostock_basic_info_sync(environment, FakeContext("baostock_basic_info_sync"))
    )

    assert result["inserted"] == 4 and result["skipped_reasons"] == {
        "missing code_name": 1,
        "duplicate key": 1,
    }
    assert (baostock.logins, baostock.logouts) == (1, 1)
    row = (await (await environment.market()).find(STOCK_BASIC_INFO, {"code": "300750"}))[0]
    assert (
        row["market"] == "创业板" and row["list_date"] == "2018-06-11" and row["full_symbol"] == "300750.SZ"
    )


async def test_history_reads_the_last_30_days_with_strings_parsed(
    make_environment: MakeEnvironment, baostock: FakeBaostock
) -> None:
    environment = make_environment(tushare_token=None)

    result = payload(
        await history.baostock_historical_sync(
            environment, FakeContext("baostock_historical_sync", {"symbols": ["600000", "000001"]})
        )
    )

    assert result["inserted"] == 20 and result["skipped_reasons"] == {"missing close": 1}
    starts = {params["start_date"] for name, params in baostock.calls if name == "query_history_k_data_plus"}
    assert starts == {"2024-09-11"}  # 30 days before the last trading day
    bar = (await (await environment.market()).find(STOCK_DAILY_QUOTES, {"symbol": "000001"}))[0]
    assert isinstance(bar["close"], float) and bar["volume"] == 118_000_000 and bar["pe"] == 6.1


async def test_daily_quotes_take_the_latest_bar(make_environment: MakeEnvironment, clock: FakeClock) -> None:
    clock.set_now(shanghai(2024, 10, 11, 16, 0))
    environment = make_environment(tushare_token=None)

    result = payload(
        await quotes.baostock_daily_quotes_sync(
            environment, FakeContext("baostock_daily_quotes_sync", {"symbols": ["000001", "300750"]})
        )
    )

    assert result["inserted"] == 2
    quote = (await (await environment.market()).find(MARKET_QUOTES, {"code": "300750"}))[0]
    assert quote["trade_date"] == "2024-10-11" and quote["price"] == quote["close"]
    assert quote["data_source"] == "baostock" and "period" not in quote


async def test_daily_quotes_skip_holidays_using_the_offline_calendar(
    make_environment: MakeEnvironment, clock: FakeClock, baostock: FakeBaostock
) -> None:
    clock.set_now(shanghai(2024, 10, 3, 16, 0))
    environment = make_environment(tushare_token=None)

    result = payload(
        await quotes.baostock_daily_quotes_sync(environment, FakeContext("baostock_daily_quotes_sync"))
    )

    assert result["status"] == "skipped" and "calendar: akshare" in result["reason"]
    assert baostock.logins == 0


async def test_error_codes_are_checked(make_environment: MakeEnvironment, baostock: FakeBaostock) -> None:
    environment = make_environment(tushare_token=None)
    baostock.fail_code("query_stock_basic", "10004011", "参数错误")

    with pytest.raises(ProviderError, match="10004011 参数错误"):
        await basics.baostock_basic_info_sync(environment, FakeContext("baostock_basic_info_sync"))
    assert baostock.logouts == 1  # logged out all the same


async def test_network_error_codes_are_retried(
    make_environment: MakeEnvironment, baostock: FakeBaostock, clock: FakeClock
) -> None:
    environment = make_environment(tushare_token=None)
    baostock.fail_code("login", "10002007", "网络接收错误。")

    result = payload(
        await basics.baostock_basic_info_sync(environment, FakeContext("baostock_basic_info_sync"))
    )

    assert result["inserted"] == 4 and baostock.logins == 2 and len(clock.sleeps) == 1


async def test_basics_service_falls_back_to_baostock(
    make_environment: MakeEnvironment, akshare: FakeAkshare
) -> None:
    environment = make_environment(tushare_token=None)
    akshare.fail("stock_info_a_code_name", KeyError("data"))

    result = payload(await basics.basics_sync_service(environment, FakeContext("basics_sync_service")))

    assert result["source"] == "baostock"
    assert [attempt["source"] for attempt in result["fallbacks"]] == ["tushare", "akshare"]
    assert "no token" in result["fallbacks"][0]["error"] and "KeyError" in result["fallbacks"][1]["error"]


async def test_basics_service_fails_when_no_source_answers(
    make_environment: MakeEnvironment, akshare: FakeAkshare, baostock: FakeBaostock
) -> None:
    environment = make_environment(tushare_token=None)
    akshare.fail("stock_info_a_code_name", KeyError("data"))
    baostock.fail_code("query_stock_basic", "10004011", "参数错误")

    with pytest.raises(SyncFailed, match="no source answered"):
        await basics.basics_sync_service(environment, FakeContext("basics_sync_service"))


async def test_status_check_logs_in(make_environment: MakeEnvironment, baostock: FakeBaostock) -> None:
    result = payload(
        await status.baostock_status_check(
            make_environment(tushare_token=None), FakeContext("baostock_status_check")
        )
    )
    assert result["reachable"] is True and (baostock.logins, baostock.logouts) == (1, 1)
