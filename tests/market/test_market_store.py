"""One behavioural suite for the market-data store port, over every adapter (see conftest)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest

from infrastructure.market.port import KEY_FIELDS
from infrastructure.market.port import MARKET_QUOTES
from infrastructure.market.port import STOCK_BASIC_INFO
from infrastructure.market.port import STOCK_DAILY_QUOTES
from infrastructure.market.port import STOCK_FINANCIAL_DATA
from infrastructure.market.port import STOCK_NEWS
from infrastructure.market.port import MarketStore
from infrastructure.market.port import SeriesState
from infrastructure.market.port import WriteResult

T0 = datetime(2024, 10, 11, 7, 0, 0, 125000, tzinfo=UTC)  # millisecond precision, as MongoDB keeps


def bar(symbol: str, day: str, close: float, **extra: object) -> dict[str, object]:
    return {
        "symbol": symbol, "code": symbol, "trade_date": day, "data_source": "tushare", "period": "daily",
        "open": close, "high": close, "low": close, "close": close, "volume": 100.0, "updated_at": T0,
        **extra,
    }  # fmt: skip


async def test_upsert_counts_inserted_then_updated_across_batches(market_store: MarketStore) -> None:
    rows = [bar("600000", f"2024-10-0{day}", 9.0 + day) for day in range(1, 8)]  # 7 rows, batches of 3

    assert await market_store.upsert(STOCK_DAILY_QUOTES, rows) == WriteResult(inserted=7, updated=0)
    assert await market_store.upsert(STOCK_DAILY_QUOTES, rows) == WriteResult(inserted=0, updated=7)
    assert await market_store.count(STOCK_DAILY_QUOTES) == 7


async def test_the_key_includes_source_and_period(market_store: MarketStore) -> None:
    rows = [
        bar("600000", "2024-10-08", 9.5),
        bar("600000", "2024-10-08", 9.6, data_source="akshare"),
        bar("600000", "2024-10-08", 9.7, period="weekly"),
    ]
    assert (await market_store.upsert(STOCK_DAILY_QUOTES, rows)).inserted == 3


async def test_duplicate_keys_in_one_call_are_written_once_last_wins(market_store: MarketStore) -> None:
    rows = [bar("600000", "2024-10-08", 9.5), bar("600000", "2024-10-08", 9.9)]

    assert await market_store.upsert(STOCK_DAILY_QUOTES, rows) == WriteResult(inserted=1, updated=0)
    stored = await market_store.find(STOCK_DAILY_QUOTES)
    assert len(stored) == 1 and stored[0]["close"] == 9.9


async def test_upsert_merges_fields_and_nulls_never_erase(market_store: MarketStore) -> None:
    await market_store.upsert(
        STOCK_BASIC_INFO, [{"code": "600000", "source": "akshare", "name": "浦发银行", "updated_at": T0}]
    )
    later = T0 + timedelta(hours=1)
    enrichment = {
        "code": "600000",
        "source": "akshare",
        "industry": "银行",
        "name": None,
        "updated_at": later,
    }
    assert await market_store.upsert(STOCK_BASIC_INFO, [enrichment]) == WriteResult(0, 1)

    (row,) = await market_store.find(STOCK_BASIC_INFO)
    assert row["name"] == "浦发银行" and row["industry"] == "银行" and row["updated_at"] == later
    assert isinstance(row["created_at"], datetime) and row["created_at"].tzinfo is not None
    assert "_id" not in row


async def test_same_code_from_two_sources_is_two_records(market_store: MarketStore) -> None:
    records = [{"code": "600000", "source": source, "name": "浦发银行"} for source in ("tushare", "baostock")]
    await market_store.upsert(STOCK_BASIC_INFO, records)
    await market_store.upsert(STOCK_BASIC_INFO, [{"code": "000001", "source": "tushare", "name": "平安银行"}])

    assert await market_store.count(STOCK_BASIC_INFO) == 3
    assert await market_store.count(STOCK_BASIC_INFO, source="tushare") == 2
    assert await market_store.codes() == ["000001", "600000"]
    assert await market_store.codes(limit=1) == ["000001"]


async def test_last_trade_dates_per_symbol_of_one_source(market_store: MarketStore) -> None:
    await market_store.upsert(
        STOCK_DAILY_QUOTES,
        [
            bar("600000", "2024-10-08", 9.5),
            bar("600000", "2024-10-11", 9.6),
            bar("000001", "2024-09-30", 11.0),
            bar("000001", "2024-10-11", 11.0, data_source="akshare"),
            bar("300750", "2024-10-11", 250.0, period="weekly"),
        ],
    )
    assert await market_store.last_trade_dates("tushare") == {"600000": "2024-10-11", "000001": "2024-09-30"}
    assert await market_store.last_trade_dates("akshare") == {"000001": "2024-10-11"}
    assert await market_store.last_trade_dates("baostock") == {}


async def test_freshness_and_filters(market_store: MarketStore) -> None:
    assert await market_store.latest_update(MARKET_QUOTES) is None
    quotes = [
        {"code": "600000", "price": 9.5, "data_source": "tushare", "updated_at": T0},
        {
            "code": "000001",
            "price": 11.0,
            "data_source": "akshare_sina",
            "updated_at": T0 + timedelta(minutes=5),
        },
    ]
    await market_store.upsert(MARKET_QUOTES, quotes)

    assert await market_store.latest_update(MARKET_QUOTES) == T0 + timedelta(minutes=5)
    assert await market_store.count(MARKET_QUOTES, data_source="tushare") == 1
    assert [row["code"] for row in await market_store.find(MARKET_QUOTES)] == ["000001", "600000"]
    (found,) = await market_store.find(MARKET_QUOTES, {"data_source": "tushare"}, limit=5)
    assert {name: value for name, value in found.items() if name != "created_at"} == quotes[0]
    assert len(await market_store.find(MARKET_QUOTES, limit=1)) == 1


async def test_nested_documents_round_trip(market_store: MarketStore) -> None:
    record = {
        "symbol": "600000", "report_period": "2024-09-30", "data_source": "tushare",
        "income": {"total_revenue": 1.3e11, "basic_eps": 1.02}, "revenue": 1.3e11,
    }  # fmt: skip
    await market_store.upsert(STOCK_FINANCIAL_DATA, [record])
    (row,) = await market_store.find(STOCK_FINANCIAL_DATA, {"symbol": "600000"})
    assert row["income"] == {"total_revenue": 1.3e11, "basic_eps": 1.02}


async def test_news_key_is_url_title_and_time(market_store: MarketStore) -> None:
    item = {"url": "http://example.invalid/a.html", "title": "公告", "publish_time": "2024-10-08 10:30:00"}
    again_later = {**item, "publish_time": "2024-10-08 11:00:00"}
    result = await market_store.upsert(STOCK_NEWS, [item, item, again_later])
    assert result == WriteResult(inserted=2, updated=0)


@pytest.mark.parametrize("collection", sorted(KEY_FIELDS))
async def test_a_document_without_its_key_is_refused(market_store: MarketStore, collection: str) -> None:
    with pytest.raises(ValueError, match="lacks its key"):
        await market_store.upsert(collection, [{"name": "no key"}])
    assert await market_store.count(collection) == 0


async def test_empty_upsert_is_a_no_op(market_store: MarketStore) -> None:
    assert await market_store.upsert(STOCK_DAILY_QUOTES, []) == WriteResult()


def quote(code: str, quote_at: str, price: float, **extra: object) -> dict[str, object]:
    return {"code": code, "quote_at": quote_at, "price": price, "updated_at": T0, **extra}


async def test_replace_never_goes_backwards_and_replaces_the_whole_document(
    market_store: MarketStore,
) -> None:
    first = quote("600000", "2024-10-11 15:00:00", 9.5, turnover_rate=0.2, data_source="akshare_eastmoney")
    assert await market_store.replace(MARKET_QUOTES, [first], newer_than="quote_at") == WriteResult(1, 0)
    (stored,) = await market_store.find(MARKET_QUOTES)
    created = stored["created_at"]

    older = quote("600000", "2024-10-10 15:00:00", 9.1, data_source="baostock")
    assert await market_store.replace(MARKET_QUOTES, [older], newer_than="quote_at") == WriteResult(0, 0, 1)
    same_time = quote("600000", "2024-10-11 15:00:00", 9.52, data_source="tushare")
    later = quote("000001", "2024-10-11 15:00:00", 11.2)
    result = await market_store.replace(MARKET_QUOTES, [same_time, later], newer_than="quote_at")
    assert result == WriteResult(inserted=1, updated=1, stale=0)

    (row,) = await market_store.find(MARKET_QUOTES, {"code": "600000"})
    assert row["price"] == 9.52 and row["data_source"] == "tushare"
    assert "turnover_rate" not in row  # the older source's field is gone with its row
    assert row["created_at"] == created


async def test_a_document_without_the_order_field_is_replaced(market_store: MarketStore) -> None:
    await market_store.upsert(MARKET_QUOTES, [{"code": "600000", "price": 9.0, "pe": 6.1}])  # a legacy row
    new = quote("600000", "2024-10-11 15:00:00", 9.5)
    assert await market_store.replace(MARKET_QUOTES, [new], newer_than="quote_at") == WriteResult(0, 1)
    (row,) = await market_store.find(MARKET_QUOTES)
    assert row["price"] == 9.5 and "pe" not in row


async def test_delete_by_fields(market_store: MarketStore) -> None:
    rows = [bar("600000", "2024-10-08", 9.5), bar("000001", "2024-10-08", 11.0)]
    await market_store.replace(STOCK_DAILY_QUOTES, rows)
    assert await market_store.delete(STOCK_DAILY_QUOTES, {"symbol": "600000"}) == 1
    assert [row["symbol"] for row in await market_store.find(STOCK_DAILY_QUOTES)] == ["000001"]
    with pytest.raises(ValueError, match="at least one field"):
        await market_store.delete(STOCK_DAILY_QUOTES, {})


async def test_series_states_give_the_basis_and_where_rows_of_no_basis_start(
    market_store: MarketStore,
) -> None:
    on_basis = {"adj_factor": 1.05, "basis_factor": 1.05, "basis_date": "2024-10-09"}
    await market_store.replace(
        STOCK_DAILY_QUOTES,
        [
            bar("600000", "2024-10-08", 9.5),  # stored before bars carried their factor
            bar("600000", "2024-10-10", 9.6, **on_basis),
            bar("600000", "2024-10-11", 9.7, **on_basis),
            bar("000001", "2024-10-11", 11.0, **{**on_basis, "basis_factor": 2.0}),
            bar("300750", "2024-10-11", 250.0, data_source="akshare", **on_basis),
        ],
    )
    states = await market_store.series_states("tushare")
    assert set(states) == {"600000", "000001"}
    assert states["600000"] == SeriesState("2024-10-11", 1.05, "2024-10-09", legacy_from="2024-10-08")
    assert states["000001"].basis_factor == 2.0 and states["000001"].legacy_from is None
