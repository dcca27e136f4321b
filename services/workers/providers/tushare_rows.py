"""Tushare answers (DataFrames with tushare's column names) mapped to the store's vocabulary.

Units: `pro_bar`/`daily` report `vol` in 手 (×100 → shares) and `amount` in 千元 (×1000 → yuan);
`rt_k` already reports shares and yuan; `daily_basic` reports shares in 万股 and market value in 万元
(×10,000).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from services.workers.providers.normalise import (
    BadValue,
    code_of,
    exchange_name,
    identity,
    iso_date,
    market_of,
    number,
    parse_rows,
    records,
    required_number,
    scaled,
    text,
)
from services.workers.providers.ports import ParsedRows, Row

SOURCE = "tushare"


def _code(raw: Mapping[str, Any]) -> str:
    return code_of(raw.get("ts_code"))


def stock_list(frame: pd.DataFrame | None) -> ParsedRows:
    def mapper(raw: Mapping[str, Any]) -> Row:
        code = _code(raw)
        name = text(raw.get("name"))
        if name is None:
            raise BadValue("missing name")
        return {
            **identity(code),
            "name": name,
            "area": text(raw.get("area")),
            "industry": text(raw.get("industry")),
            "market": market_of(code),  # the board table, not tushare's label (it says CDR)
            "exchange": exchange_name(code),
            "list_date": iso_date(raw.get("list_date"), "list_date"),
            "source": SOURCE,
            "data_source": SOURCE,
        }

    rows = records(frame, ["ts_code", "name"], "tushare.stock_basic")
    return parse_rows(rows, mapper, lambda row: (row["code"],))


def daily_basics(frame: pd.DataFrame | None) -> ParsedRows:
    def mapper(raw: Mapping[str, Any]) -> Row:
        return {
            "code": _code(raw),
            "trade_date": iso_date(raw.get("trade_date"), "trade_date"),
            "pe": number(raw.get("pe"), "pe"),
            "pe_ttm": number(raw.get("pe_ttm"), "pe_ttm"),
            "pb": number(raw.get("pb"), "pb"),
            "turnover_rate": number(raw.get("turnover_rate"), "turnover_rate"),
            "volume_ratio": number(raw.get("volume_ratio"), "volume_ratio"),
            "total_share": scaled(number(raw.get("total_share"), "total_share"), 10_000),
            "float_share": scaled(number(raw.get("float_share"), "float_share"), 10_000),
            "total_mv": scaled(number(raw.get("total_mv"), "total_mv"), 10_000),
            "circ_mv": scaled(number(raw.get("circ_mv"), "circ_mv"), 10_000),
        }

    rows = records(frame, ["ts_code", "trade_date"], "tushare.daily_basic")
    return parse_rows(rows, mapper, lambda row: (row["code"],))


def realtime_quotes(frame: pd.DataFrame | None, trade_date: str) -> ParsedRows:
    def mapper(raw: Mapping[str, Any]) -> Row:
        code = _code(raw)
        close = required_number(raw.get("close"), "close")
        pre_close = number(raw.get("pre_close"), "pre_close")
        change = None if pre_close is None else close - pre_close
        return {
            **identity(code),
            "name": text(raw.get("name")),
            "price": close,
            "close": close,
            "open": number(raw.get("open"), "open"),
            "high": number(raw.get("high"), "high"),
            "low": number(raw.get("low"), "low"),
            "pre_close": pre_close,
            "volume": number(raw.get("vol"), "vol"),
            "amount": number(raw.get("amount"), "amount"),
            "change": change,
            "pct_chg": change / pre_close * 100 if change is not None and pre_close else None,
            "turnover_rate": None,
            "trade_date": trade_date,
            "data_source": SOURCE,
        }

    rows = records(frame, ["ts_code", "close"], "tushare.rt_k")
    return parse_rows(rows, mapper, lambda row: (row["code"],))


def daily_bars(frame: pd.DataFrame | None, code: str) -> ParsedRows:
    def mapper(raw: Mapping[str, Any]) -> Row:
        if _code(raw) != code:
            raise BadValue("unknown code")
        trade_date = iso_date(raw.get("trade_date"), "trade_date")
        if trade_date is None:
            raise BadValue("missing trade_date")
        return {
            **identity(code),
            "trade_date": trade_date,
            "period": "daily",
            "adjust": "qfq",
            "data_source": SOURCE,
            "open": required_number(raw.get("open"), "open"),
            "high": required_number(raw.get("high"), "high"),
            "low": required_number(raw.get("low"), "low"),
            "close": required_number(raw.get("close"), "close"),
            "pre_close": number(raw.get("pre_close"), "pre_close"),
            "change": number(raw.get("change"), "change"),
            "pct_chg": number(raw.get("pct_chg"), "pct_chg"),
            "volume": scaled(number(raw.get("vol"), "vol"), 100),
            "amount": scaled(number(raw.get("amount"), "amount"), 1000),
        }

    rows = records(frame, ["ts_code", "trade_date", "close"], "tushare.pro_bar")
    return parse_rows(rows, mapper, lambda row: (row["trade_date"],))


def trade_dates(frame: pd.DataFrame | None) -> set[str]:
    rows = records(frame, ["cal_date", "is_open"], "tushare.trade_cal")
    return {
        iso_date(row["cal_date"]) or "" for row in rows if str(row["is_open"]).strip() in {"1", "1.0", "True"}
    } - {""}
