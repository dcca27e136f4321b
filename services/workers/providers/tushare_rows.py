"""Tushare answers (DataFrames with tushare's column names) mapped to the store's vocabulary.

Units: `daily` reports `vol` in 手 (×100 → shares) and `amount` in 千元 (×1000 → yuan);
`rt_k` already reports shares and yuan; `daily_basic` reports shares in 万股 and market value in 万元
(×10,000).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from services.workers.providers.normalise import BadValue
from services.workers.providers.normalise import bar_of_day
from services.workers.providers.normalise import code_of
from services.workers.providers.normalise import identity
from services.workers.providers.normalise import iso_date
from services.workers.providers.normalise import listed_stock
from services.workers.providers.normalise import number
from services.workers.providers.normalise import numbers
from services.workers.providers.normalise import parse_rows
from services.workers.providers.normalise import records
from services.workers.providers.normalise import required_numbers
from services.workers.providers.normalise import same
from services.workers.providers.normalise import snapshot
from services.workers.providers.normalise import text
from services.workers.providers.normalise import traded_price
from services.workers.providers.ports import ParsedRows
from services.workers.providers.ports import Row

SOURCE = "tushare"


def _code(raw: Mapping[str, Any]) -> str:
    return code_of(raw.get("ts_code"))


def stock_list(frame: pd.DataFrame | None) -> ParsedRows:
    """The tushare stock list as `stock_basic_info` rows (board from the board table)."""

    def mapper(raw: Mapping[str, Any]) -> Row:
        # The board comes from the board table, not tushare's label (it says CDR).
        return listed_stock(
            _code(raw),
            text(raw.get("name")),
            SOURCE,
            area=text(raw.get("area")),
            industry=text(raw.get("industry")),
            list_date=iso_date(raw.get("list_date"), "list_date"),
        )

    rows = records(frame, ["ts_code", "name"], "tushare.stock_basic")
    return parse_rows(rows, mapper, lambda row: (row["code"],))


def daily_basics(frame: pd.DataFrame | None) -> ParsedRows:
    """The tushare `daily_basic` answer as per-stock valuation rows."""

    def mapper(raw: Mapping[str, Any]) -> Row:
        return {
            "code": _code(raw),
            "trade_date": iso_date(raw.get("trade_date"), "trade_date"),
            **numbers(raw, same("pe", "pe_ttm", "pb", "turnover_rate", "volume_ratio")),
            **numbers(raw, same("total_share", "float_share", "total_mv", "circ_mv"), 10_000),
        }

    rows = records(frame, ["ts_code", "trade_date"], "tushare.daily_basic")
    return parse_rows(rows, mapper, lambda row: (row["code"],))


RT_K_COLUMNS = ["ts_code", "name", "pre_close", "high", "open", "low", "close", "vol", "amount"]


def realtime_quotes(frame: pd.DataFrame | None, trade_date: str, quote_at: str) -> ParsedRows:
    """`rt_k`: shares and yuan already; no time column, so `quote_at` is the fetch time capped at the close.

    A stock without a price (0 or missing) did not trade.
    """

    def mapper(raw: Mapping[str, Any]) -> Row:
        code = _code(raw)
        close = traded_price(raw.get("close"), "close")
        pre_close = number(raw.get("pre_close"), "pre_close")
        change = None if close is None or pre_close is None else round(close - pre_close, 4)
        prices = {
            **numbers(
                raw, {"open": "open", "high": "high", "low": "low", "volume": "vol", "amount": "amount"}
            ),
            "change": change,
            "pct_chg": round(change / pre_close * 100, 4) if change is not None and pre_close else None,
        }
        common = {
            "name": text(raw.get("name")),
            "pre_close": pre_close,
            "trade_date": trade_date,
            "quote_at": quote_at,
            "data_source": SOURCE,
        }
        return snapshot(identity(code), close, prices, common)

    rows = records(frame, RT_K_COLUMNS, "tushare.rt_k")
    return parse_rows(rows, mapper, lambda row: (row["code"],))


DAILY_COLUMNS = [
    "ts_code",
    "trade_date",
    "open",
    "high",
    "low",
    "close",
    "pre_close",
    "pct_chg",
    "vol",
    "amount",
]


def daily_bars(frame: pd.DataFrame | None, code: str) -> ParsedRows:
    """The tushare daily bars of one stock as unadjusted bar rows."""

    def mapper(raw: Mapping[str, Any]) -> Row:
        return {
            **bar_of_day(raw, code, "ts_code", "trade_date"),
            "period": "daily",
            "data_source": SOURCE,
            **required_numbers(raw, same("open", "high", "low", "close")),
            **numbers(raw, same("pre_close", "change", "pct_chg")),
            **numbers(raw, {"volume": "vol"}, 100),
            **numbers(raw, same("amount"), 1000),
        }

    rows = records(frame, DAILY_COLUMNS, "tushare.daily")
    return parse_rows(rows, mapper, lambda row: (row["trade_date"],))


def adj_factors(frame: pd.DataFrame | None) -> dict[str, float]:
    """By trade date, `adj_factor` (the cumulative back-adjustment factor of that day)."""
    factors: dict[str, float] = {}
    for raw in records(frame, ["trade_date", "adj_factor"], "tushare.adj_factor"):
        try:
            day, factor = iso_date(raw.get("trade_date")), number(raw.get("adj_factor"), "adj_factor")
        except BadValue:
            continue
        if day and factor and factor > 0:
            factors.setdefault(day, factor)
    return factors


def trade_dates(frame: pd.DataFrame | None) -> set[str]:
    """The open days (ISO) of tushare's `trade_cal` answer."""
    rows = records(frame, ["cal_date", "is_open"], "tushare.trade_cal")
    return {
        iso_date(row["cal_date"]) or "" for row in rows if str(row["is_open"]).strip() in {"1", "1.0", "True"}
    } - {""}
