"""Builds the configured market-data store. Called from composition roots only."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from infrastructure.market.port import MarketStore


def make_market_store(
    kind: Literal["sqlite", "mongodb"],
    *,
    sqlite_path: Path,
    mongodb_url: str,
    mongodb_database: str,
) -> MarketStore:
    """The market-data store of `kind`: MongoDB, else the SQLite file (not opened yet)."""
    if kind == "mongodb":
        from infrastructure.market.mongo_market import MongoMarketStore

        return MongoMarketStore.from_url(mongodb_url, mongodb_database)
    from infrastructure.market.sqlite_market import SQLiteMarketStore

    return SQLiteMarketStore(sqlite_path)
