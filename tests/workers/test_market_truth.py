"""What a researcher relies on: one basis per series for every provider, snapshots that never go
backwards, suspensions flagged, providers asked only for what they serve, bad input refused and counted."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import pandas as pd
import pytest

from infrastructure.market.port import MARKET_QUOTES
from infrastructure.market.port import STOCK_DAILY_QUOTES
from services.workers.catalogue import basics
from services.workers.catalogue import history
from services.workers.catalogue import quotes
from services.workers.catalogue.invariants import AVERAGE_PRICE
from services.workers.catalogue.invariants import NON_POSITIVE_PRICE
from services.workers.catalogue.invariants import PCT_CHG
from services.workers.catalogue.invariants import PRICE_ORDER
from services.workers.catalogue.invariants import checked
from services.workers.catalogue.loop import SyncFailed
from services.workers.job_api import PartialResult
from services.workers.providers import akshare_rows
from services.workers.providers import baostock_rows
from services.workers.providers import tushare_rows
from services.workers.providers.normalise import records

from .conftest import MakeEnvironment
from .fakes import FakeAkshare
from .fakes import FakeBaostock
from .fakes import FakeClock
from .fakes import FakeContext
from .fakes import FakeTushareApi
from .fakes import load_frame
from .fakes import payload
from .fakes import shanghai

RUNS = (shanghai(2024, 9, 27, 17, 0), shanghai(2024, 10, 11, 17, 0), shanghai(2024, 10, 18, 19, 0))
HistoryJob = Callable[..., Any]
CODES = ("600000", "000001", "300750", "302132", "601866")


async def _series(
    make_environment: MakeEnvironment, clock: FakeClock, job: HistoryJob, **settings: Any
) -> list[dict[str, Any]]:
    environment = make_environment(history_start_days=30, **settings)
    for moment in RUNS:
        clock.set_now(moment)
        await job(environment, FakeContext("history", {"symbols": ["600000"]}))
    return await (await environment.market()).find(STOCK_DAILY_QUOTES, {"symbol": "600000"})


async def test_every_provider_stores_the_same_series_on_one_basis(
    make_environment: MakeEnvironment, clock: FakeClock
) -> None:
    """Two ex-rights events, three incremental runs: tushare, akshare and baostock agree day by day."""
    tushare = await _series(make_environment, clock, history.tushare_historical_sync)
    akshare = await _series(make_environment, clock, history.akshare_historical_sync, tushare_token=None)
    baostock = await _series(
        make_environment, clock, history.baostock_historical_sync, tushare_token=None,
        baostock_history_days=40,
    )  # fmt: skip

    def closes(bars: list[dict[str, Any]]) -> dict[str, float]:
        return {bar["trade_date"]: bar["close"] for bar in bars}

    assert closes(akshare) == pytest.approx(closes(tushare), abs=1e-4)
    assert closes(baostock) == pytest.approx(closes(tushare), abs=1e-4)
    for bars in (tushare, akshare, baostock):
        assert {(bar["basis_factor"], bar["basis_date"], bar["adjust"]) for bar in bars} == {
            (12.489144, "2024-10-14", "qfq")
        }
        last = bars[-1]
        assert last["close"] == last["raw_close"] == 6.64  # on the basis day, qfq is the traded price


async def test_baostock_leaves_out_suspended_days_and_beijing_codes(
    make_environment: MakeEnvironment, baostock: FakeBaostock, clock: FakeClock
) -> None:
    clock.set_now(shanghai(2024, 10, 18, 19, 0))
    environment = make_environment(tushare_token=None)

    result = payload(
        await history.baostock_historical_sync(
            environment, FakeContext("baostock_historical_sync", {"symbols": ["601866", "920118"]})
        )
    )

    assert result["suspended_days"] == 2 and result["not_served"] == 1 and result["status"] == "success"
    days = [bar["trade_date"] for bar in await (await environment.market()).find(STOCK_DAILY_QUOTES)]
    assert "2024-10-09" not in days and "2024-10-10" not in days and len(days) == 13
    asked = {params["code"] for name, params in baostock.calls if name == "query_history_k_data_plus"}
    assert asked == {"sh.601866"}


class _Doctored(FakeTushareApi):
    """Answers `daily` through `change(frame)`: a provider sending something wrong."""

    def __init__(self, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
        super().__init__()
        self._change = change

    def _query(self, name: str, **params: Any) -> pd.DataFrame:
        frame = super()._query(name, **params)
        return self._change(frame.copy()) if name == "daily" and not frame.empty else frame


def _set(frame: pd.DataFrame, day: str, **values: Any) -> pd.DataFrame:
    for column, value in values.items():
        frame[column] = frame[column].astype(object)
        frame.loc[frame["trade_date"] == day, column] = value
    return frame


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda f: _set(f, "20241010", vol=f["vol"] * 100), AVERAGE_PRICE),  # shares sent as 手
        (lambda f: _set(f, "20241010", amount=f["amount"] / 1000), AVERAGE_PRICE),  # yuan sent as 千元
        (lambda f: _set(f, "20241010", low=99.0), PRICE_ORDER),
        (lambda f: _set(f, "20241010", pct_chg=5.0), PCT_CHG),
        (lambda f: _set(f, "20241010", open=-1.0), NON_POSITIVE_PRICE),
    ],
)
async def test_a_row_breaking_an_invariant_is_refused_and_the_run_is_partial(
    make_environment: MakeEnvironment,
    monkeypatch: pytest.MonkeyPatch,
    tushare_api: FakeTushareApi,
    change: Callable[[pd.DataFrame], pd.DataFrame],
    reason: str,
) -> None:
    doctored = _Doctored(change)
    environment = make_environment(history_start_days=30)
    monkeypatch.setattr(environment.tushare, "_api", doctored)

    result = await history.tushare_historical_sync(
        environment, FakeContext("tushare_historical_sync", {"symbols": ["600000"]})
    )

    assert isinstance(result, PartialResult) and f"{reason}: 1" in result.reason
    assert result.result["refused_reasons"] == {reason: 1} and result.result["inserted"] == 9
    days = [bar["trade_date"] for bar in await (await environment.market()).find(STOCK_DAILY_QUOTES)]
    assert "2024-10-10" not in days


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda f: _set(f, "20241010", close=float("nan")), "missing close"),
        (lambda f: _set(f, "20241010", close="-"), "missing close"),
        (lambda f: _set(f, "20241010", close=""), "missing close"),
        (lambda f: pd.concat([f, f.iloc[[0]]]), "duplicate key"),
        (lambda f: _set(f, "20241010", ts_code="000001.SZ"), "unknown code"),
        (lambda f: _set(f, "20241010", trade_date="20230101"), "outside the requested window"),
    ],
)
async def test_bad_provider_values_are_counted_and_the_run_is_partial(
    make_environment: MakeEnvironment,
    monkeypatch: pytest.MonkeyPatch,
    change: Callable[[pd.DataFrame], pd.DataFrame],
    reason: str,
) -> None:
    environment = make_environment(history_start_days=30)
    monkeypatch.setattr(environment.tushare, "_api", _Doctored(change))

    result = await history.tushare_historical_sync(
        environment, FakeContext("tushare_historical_sync", {"symbols": ["600000"]})
    )

    assert isinstance(result, PartialResult) and reason in result.reason
    assert result.result["skipped_reasons"] == {reason: 1}


async def test_a_renamed_column_fails_the_run_naming_it(
    make_environment: MakeEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = make_environment()
    monkeypatch.setattr(environment.tushare, "_api", _Doctored(lambda f: f.rename(columns={"vol": "volume"})))

    with pytest.raises(SyncFailed, match=r"lacks columns \['vol'\]"):
        await history.tushare_historical_sync(
            environment, FakeContext("tushare_historical_sync", {"symbols": ["600000", "000001"]})
        )


async def test_snapshots_never_go_backwards_and_one_row_is_one_source(
    make_environment: MakeEnvironment, clock: FakeClock
) -> None:
    environment = make_environment()
    store = await environment.market()
    clock.set_now(shanghai(2024, 10, 11, 14, 0))
    await quotes.quotes_ingestion_service(environment, FakeContext("q"))  # tushare rt_k
    await quotes.quotes_ingestion_service(environment, FakeContext("q"))  # eastmoney: has turnover
    (row,) = await store.find(MARKET_QUOTES, {"code": "600000"})
    assert row["data_source"] == "akshare_eastmoney" and row["turnover_rate"] == 0.19

    clock.set_now(shanghai(2024, 10, 11, 16, 30))  # after the close: quoted at 15:00
    rt_k = payload(await quotes.tushare_quotes_sync(environment, FakeContext("q", force=True)))
    (row,) = await store.find(MARKET_QUOTES, {"code": "600000"})
    assert row["data_source"] == "tushare" and row["quote_at"] == "2024-10-11 15:00:00"
    assert "turnover_rate" not in row and rt_k["inserted"] + rt_k["updated"] == 6  # no stale eastmoney field

    clock.set_now(shanghai(2024, 10, 10, 14, 0))  # a snapshot of an earlier day comes late
    late = payload(await quotes.tushare_quotes_sync(environment, FakeContext("q", force=True)))
    assert late["stale"] == 6 and late["inserted"] + late["updated"] == 0
    (row,) = await store.find(MARKET_QUOTES, {"code": "600000"})
    assert row["quote_at"] == "2024-10-11 15:00:00"


async def test_baostock_daily_quotes_write_only_the_day_once_published(
    make_environment: MakeEnvironment, clock: FakeClock, baostock: FakeBaostock
) -> None:
    clock.set_now(shanghai(2024, 10, 21, 18, 0))  # Monday: the fixture has no bars of that day yet
    environment = make_environment(tushare_token=None)
    symbols = {"symbols": ["600000", "000001", "920118"]}

    unpublished = await quotes.baostock_daily_quotes_sync(environment, FakeContext("b", symbols))

    assert isinstance(unpublished, PartialResult) and "2 items had no data" in unpublished.reason
    assert unpublished.result["not_served"] == 1 and unpublished.result["inserted"] == 0
    asked = {params["code"] for name, params in baostock.calls if name == "query_history_k_data_plus"}
    assert asked == {"sh.600000", "sz.000001"}  # no Beijing code asked

    clock.set_now(shanghai(2024, 10, 18, 18, 0))
    published = payload(await quotes.baostock_daily_quotes_sync(environment, FakeContext("b", symbols)))
    assert published["status"] == "success" and published["inserted"] == 2
    (row,) = await (await environment.market()).find(MARKET_QUOTES, {"code": "600000"})
    assert (row["trade_date"], row["quote_at"], row["close"]) == ("2024-10-18", "2024-10-18 15:00:00", 6.64)
    assert "pe" not in row and "adj_factor" not in row  # a snapshot, as traded, no valuation mixed in


async def test_baostock_daily_quotes_flag_a_suspended_stock(
    make_environment: MakeEnvironment, clock: FakeClock
) -> None:
    clock.set_now(shanghai(2024, 10, 10, 18, 0))
    environment = make_environment(tushare_token=None)

    result = payload(
        await quotes.baostock_daily_quotes_sync(environment, FakeContext("b", {"symbols": ["601866"]}))
    )

    assert result["status"] == "empty" and result["suspended"] == 1 and result["no_data"] == []


async def test_the_stock_list_is_read_again_on_every_run(
    make_environment: MakeEnvironment, akshare: FakeAkshare
) -> None:
    """akshare caches `stock_info_a_code_name` with lru_cache for the process: a listing of today would
    wait for a worker restart. The fake is cached the same way; the second answer brings 920118."""
    listed = load_frame("akshare_stock_info_a_code_name")
    answers = iter([listed[listed["code"] != "920118"], listed])
    akshare.stock_info_a_code_name = lru_cache()(lambda: next(answers))  # type: ignore[attr-defined]
    environment = make_environment(tushare_token=None)
    store = await environment.market()

    await basics.akshare_basic_info_sync(environment, FakeContext("a", {"details": False}))
    assert "920118" not in await store.codes()
    await basics.akshare_basic_info_sync(environment, FakeContext("a", {"details": False}))
    assert "920118" in await store.codes()


def test_every_bar_and_quote_fixture_satisfies_the_invariants() -> None:
    """Fixtures of real magnitude: a ×100 or ×1000 unit slip in a parser would be refused here."""
    daily, hist = load_frame("tushare_daily"), load_frame("akshare_stock_zh_a_hist")
    k_data = list(
        records(load_frame("baostock_query_history_k_data_plus").astype(str), (), "baostock.k_data")
    )
    parsed = [
        *(tushare_rows.daily_bars(daily[daily["ts_code"].str.startswith(c)], c) for c in CODES),
        *(akshare_rows.daily_bars(hist[hist["股票代码"] == c], c) for c in CODES),
        *(baostock_rows.daily_bars([r for r in k_data if r["code"].endswith(c)], c) for c in CODES),
        tushare_rows.realtime_quotes(load_frame("tushare_rt_k"), "2024-10-11", "2024-10-11 15:00:00"),
        akshare_rows.spot_quotes(load_frame("akshare_stock_zh_a_spot"), "2024-10-11", "t", feed="sina"),
        akshare_rows.spot_quotes(
            load_frame("akshare_stock_zh_a_spot_em"), "2024-10-11", "t", feed="eastmoney"
        ),
    ]
    rows = [row for answer in parsed for row in answer.rows if not row.get("suspended")]
    assert len(rows) > 180 and checked(rows).refused == {}
    assert all(row["low"] <= row["amount"] / row["volume"] <= row["high"] for row in rows)


async def test_a_page_cut_at_the_row_limit_is_a_failure_never_a_hole(
    make_environment: MakeEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = make_environment()
    monkeypatch.setattr(
        "services.workers.providers.tushare_provider.ROW_LIMIT", 10
    )  # 600000 sends 10 up to 10-11
    kwargs = {"symbols": ["600000"], "start_date": "2024-09-01"}

    with pytest.raises(SyncFailed, match="daily: answer cut at the 10-row limit"):
        await history.tushare_historical_sync(environment, FakeContext("tushare_historical_sync", kwargs))
    assert await (await environment.market()).count(STOCK_DAILY_QUOTES) == 0

    short = {"symbols": ["600000"], "start_date": "2024-09-24"}  # 9 rows: complete
    result = payload(
        await history.tushare_historical_sync(environment, FakeContext("tushare_historical_sync", short))
    )
    assert result["status"] == "success" and result["inserted"] == 9


@pytest.mark.parametrize(
    "moment", [shanghai(2024, 10, 12, 11, 0), shanghai(2024, 10, 14, 8, 0)], ids=["saturday", "before-open"]
)
async def test_a_forced_snapshot_outside_a_trading_day_is_dated_by_the_last_session(
    make_environment: MakeEnvironment, clock: FakeClock, moment: Any
) -> None:
    clock.set_now(moment)
    environment = make_environment()

    await quotes.tushare_quotes_sync(environment, FakeContext("q", force=True))

    (row,) = await (await environment.market()).find(MARKET_QUOTES, {"code": "600000"})
    assert (row["trade_date"], row["quote_at"]) == ("2024-10-11", "2024-10-11 15:00:00")


def test_the_real_libraries_have_what_the_adapters_call() -> None:
    """The installed libraries (no network): akshare's list caches can be cleared, the factor calls exist
    with the parameters the adapters pass."""
    import inspect

    import akshare  # type: ignore[import-untyped]  # akshare ships no type hints
    import baostock  # type: ignore[import-untyped]  # baostock ships no type hints

    from services.workers.providers.akshare_provider import STOCK_LIST_CACHES

    for name in STOCK_LIST_CACHES:
        assert callable(getattr(akshare, name).cache_clear), name
    assert "adjust" in inspect.signature(akshare.stock_zh_a_daily).parameters
    assert {"symbol", "adjust", "start_date", "end_date"} <= set(
        inspect.signature(akshare.stock_zh_a_hist).parameters
    )
    assert {"code", "start_date", "end_date"} <= set(
        inspect.signature(baostock.query_adjust_factor).parameters
    )
