"""Rows per second each market-data store writes for a 5,000-symbol daily-bars batch.

Run: `.venv/bin/python bench/market_write.py [--symbols 5000] [--days 1]`. Writes one `stock_daily_quotes`
batch (symbols × days rows) through the store port twice: first into an empty collection (all inserts),
then again (all updates), and prints rows/s per store and the SQLite / MongoDB ratio. MongoDB is the
in-process emulation (pymongo-async-mock) unless MONGODB_TEST_URL names a real server; the emulation slows
down with collection size, so its numbers say nothing about a real server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infrastructure.market.mongo_market import MongoMarketStore
from infrastructure.market.port import STOCK_DAILY_QUOTES
from infrastructure.market.port import MarketStore
from infrastructure.market.sqlite_market import SQLiteMarketStore


def daily_bars(symbols: int, days: int) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    rows = []
    for index in range(symbols):
        code = f"{600000 + index:06d}" if index < 4000 else f"{index - 4000 + 1:06d}"
        for day in range(days):
            close = 10.0 + (index % 97) / 10 + day / 100
            rows.append(
                {
                    "symbol": code, "code": code, "full_symbol": f"{code}.SH",
                    "trade_date": (date(2024, 10, 11) - timedelta(days=day)).isoformat(),
                    "data_source": "tushare", "period": "daily", "adjust": "qfq",
                    "open": close * 0.99, "high": close * 1.02, "low": close * 0.98, "close": close,
                    "pre_close": close * 0.995, "change": close * 0.005, "pct_chg": 0.5,
                    "volume": 1_234_500.0 + index, "amount": 98_765_432.0 + index, "updated_at": now,
                }
            )  # fmt: skip
    return rows


async def measure(store: MarketStore, rows: list[dict[str, Any]]) -> tuple[float, float]:
    await store.open()
    try:
        started = time.perf_counter()
        first = await store.upsert(STOCK_DAILY_QUOTES, rows)
        insert_s = time.perf_counter() - started
        started = time.perf_counter()
        second = await store.upsert(STOCK_DAILY_QUOTES, rows)
        update_s = time.perf_counter() - started
        assert first.inserted == len(rows) and second.updated == len(rows), (first, second)
    finally:
        await store.close()
    return len(rows) / insert_s, len(rows) / update_s


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=5000)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--sqlite-only", action="store_true", help="skip MongoDB (the emulation is slow)")
    arguments = parser.parse_args()
    rows = daily_bars(arguments.symbols, arguments.days)
    results: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as directory:
        results["sqlite"] = await measure(SQLiteMarketStore(Path(directory) / "market.sqlite3"), rows)
    url = os.environ.get("MONGODB_TEST_URL")
    if arguments.sqlite_only:
        pass
    elif url:
        from pymongo import AsyncMongoClient

        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, tz_aware=True)
        name = f"bench_market_{uuid.uuid4().hex}"
        results["mongodb-real"] = await measure(MongoMarketStore(client[name]), rows)
        await client.drop_database(name)
        await client.close()
    else:
        from pymongo_async_mock import AsyncMongoMockClient

        emulated = MongoMarketStore(AsyncMongoMockClient(tz_aware=True)["bench_market"])
        results["mongodb-emulated"] = await measure(emulated, rows)
    print(f"stock_daily_quotes batch: {arguments.symbols} symbols x {arguments.days} days = {len(rows)} rows")
    for name, (inserts, updates) in results.items():
        print(f"  {name:17s} insert {inserts:10,.0f} rows/s   update {updates:10,.0f} rows/s")
    sqlite_in, sqlite_up = results.pop("sqlite")
    for other, (other_in, other_up) in results.items():
        print(
            f"  ratio sqlite / {other}: insert {sqlite_in / other_in:.1f}x,"
            f" update {sqlite_up / other_up:.1f}x"
        )


if __name__ == "__main__":
    asyncio.run(main())
