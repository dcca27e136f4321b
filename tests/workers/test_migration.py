"""The migration of rows stored by earlier versions: bars of no basis re-read and rebased, boards fixed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from infrastructure.market.port import STOCK_BASIC_INFO
from infrastructure.market.port import STOCK_DAILY_QUOTES
from infrastructure.market.sqlite_market import SQLiteMarketStore
from services.workers.catalogue.migration import main
from services.workers.catalogue.migration import migrate

from .conftest import MakeEnvironment
from .fakes import FakeClock
from .fakes import shanghai


def legacy_bar(symbol: str, day: str, close: float, source: str, volume: float = 1e6) -> dict[str, Any]:
    """A bar as the earlier jobs stored it: qfq to the end of its fetch window, no factor, no basis."""
    return {
        "symbol": symbol, "code": symbol, "trade_date": day, "data_source": source, "period": "daily",
        "adjust": "qfq", "open": close, "high": close, "low": close, "close": close, "volume": volume,
    }  # fmt: skip


async def test_bars_of_no_basis_are_read_again_and_leftovers_removed(
    make_environment: MakeEnvironment, clock: FakeClock
) -> None:
    clock.set_now(shanghai(2024, 10, 18, 19, 0))
    environment = make_environment()
    store = await environment.market()
    await store.upsert(
        STOCK_DAILY_QUOTES,
        [
            legacy_bar("600000", "2024-09-27", 8.07, "tushare"),  # raw then, qfq-jumping now
            legacy_bar("600000", "2024-10-11", 7.88, "tushare"),
            legacy_bar("601866", "2024-10-09", 2.31, "baostock", volume=0),  # a suspended day as a bar
            legacy_bar("601866", "2024-10-11", 2.33, "baostock"),
        ],
    )
    await store.upsert(
        STOCK_BASIC_INFO,
        [
            {"code": "302132", "source": "akshare", "name": "中航成飞", "market": "主板", "exchange": "SZSE"},
            {
                "code": "689009",
                "source": "tushare",
                "name": "九号公司-WD",
                "market": "CDR",
                "exchange": "SSE",
            },
        ],
    )

    report = await migrate(environment)

    assert report["stock_daily_quotes"]["tushare"]["status"] == "success"
    assert report["stock_daily_quotes"]["baostock"]["legacy_removed"] == 1
    assert report["stock_basic_info"] == {"rows_with_new_board": 2}
    bars = await store.find(STOCK_DAILY_QUOTES)
    assert all("adj_factor" in bar and bar["basis_date"] for bar in bars)
    by_day = {(bar["symbol"], bar["trade_date"]): bar for bar in bars}
    assert ("601866", "2024-10-09") not in by_day
    assert by_day[("600000", "2024-09-27")]["close"] == 6.4616  # rebased to the 2024-10-14 factor
    boards = {row["code"]: row["market"] for row in await store.find(STOCK_BASIC_INFO)}
    assert boards == {"302132": "创业板", "689009": "科创板"}

    again = await migrate(environment)
    assert again == {"stock_daily_quotes": {}, "stock_basic_info": {"rows_with_new_board": 0}}


def test_the_command_reports_what_it_would_migrate(tmp_path: Path, monkeypatch: Any, capsys: Any) -> None:
    async def seed() -> None:
        store = SQLiteMarketStore(tmp_path / "market.sqlite3")
        await store.open()
        await store.upsert(STOCK_DAILY_QUOTES, [legacy_bar("600000", "2024-10-11", 7.88, "tushare")])
        await store.close()

    asyncio.run(seed())
    monkeypatch.setenv("SCHEDULER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SCHEDULER_STORE", "sqlite")
    monkeypatch.delenv("SCHEDULER_MARKET_STORE", raising=False)
    monkeypatch.delenv("SCHEDULER_MARKET_SQLITE_PATH", raising=False)

    assert main(["--dry-run"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["stock_daily_quotes"]["tushare"] == {
        "symbols": 1, "not_migrated": "dry run", "first": ["600000"]
    }  # fmt: skip
