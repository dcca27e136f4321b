"""BaoStock answers (string rows under baostock's field names) mapped to the store's vocabulary.

Codes look like `sh.600000`; every value is a string; volume is in shares and amount in yuan.
`query_stock_basic` also lists indices, funds and bonds (`type` != 1) and delisted stocks (`status` 0):
those are not A-share rows of interest and are dropped without being counted as skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.workers.providers.normalise import (
    BadValue,
    code_of,
    exchange_name,
    exchange_of,
    identity,
    iso_date,
    market_of,
    number,
    parse_rows,
    required_number,
    text,
)
from services.workers.providers.ports import ParsedRows, Row

SOURCE = "baostock"
BASIC_FIELDS = ("code", "code_name", "ipoDate", "outDate", "type", "status")
K_FIELDS = (
    "date,code,open,high,low,close,preclose,volume,amount,adjustflag,turn,tradestatus,pctChg,peTTM,pbMRQ,isST"
)


def baostock_code(code: str) -> str:
    return f"{(exchange_of(code) or 'SH').lower()}.{code}"


def stock_list(rows: list[Mapping[str, Any]]) -> ParsedRows:
    listed_shares = [r for r in rows if str(r.get("type")) == "1" and str(r.get("status")) == "1"]

    def mapper(raw: Mapping[str, Any]) -> Row:
        code = code_of(raw.get("code"))
        name = text(raw.get("code_name"))
        if name is None:
            raise BadValue("missing code_name")
        return {
            **identity(code),
            "name": name,
            "market": market_of(code),
            "exchange": exchange_name(code),
            "list_date": iso_date(raw.get("ipoDate"), "ipoDate"),
            "source": SOURCE,
            "data_source": SOURCE,
        }

    return parse_rows(listed_shares, mapper, lambda row: (row["code"],))


def _bar(raw: Mapping[str, Any], code: str) -> Row:
    if code_of(raw.get("code")) != code:
        raise BadValue("unknown code")
    trade_date = iso_date(raw.get("date"), "date")
    if trade_date is None:
        raise BadValue("missing date")
    close = required_number(raw.get("close"), "close")
    pre_close = number(raw.get("preclose"), "preclose")
    return {
        **identity(code),
        "trade_date": trade_date,
        "open": required_number(raw.get("open"), "open"),
        "high": required_number(raw.get("high"), "high"),
        "low": required_number(raw.get("low"), "low"),
        "close": close,
        "pre_close": pre_close,
        "change": None if pre_close is None else round(close - pre_close, 4),
        "pct_chg": number(raw.get("pctChg"), "pctChg"),
        "volume": number(raw.get("volume"), "volume"),
        "amount": number(raw.get("amount"), "amount"),
        "turnover_rate": number(raw.get("turn"), "turn"),
        "pe": number(raw.get("peTTM"), "peTTM"),
        "pb": number(raw.get("pbMRQ"), "pbMRQ"),
        "data_source": SOURCE,
    }


def daily_bars(rows: list[Mapping[str, Any]], code: str) -> ParsedRows:
    def mapper(raw: Mapping[str, Any]) -> Row:
        return {**_bar(raw, code), "period": "daily", "adjust": "qfq"}

    return parse_rows(rows, mapper, lambda row: (row["trade_date"],))


def latest_quote(rows: list[Mapping[str, Any]], code: str) -> ParsedRows:
    """The newest bar of the answer as a `market_quotes` record."""
    bars = daily_bars(rows, code)
    if not bars.rows:
        return bars
    bar = max(bars.rows, key=lambda row: str(row["trade_date"]))
    quote = {name: value for name, value in bar.items() if name not in {"period", "adjust"}}
    quote["price"] = bar["close"]
    return ParsedRows(rows=[quote], skipped_reasons=bars.skipped_reasons)


def trade_dates(rows: list[Mapping[str, Any]]) -> set[str]:
    return {
        day
        for row in rows
        if str(row.get("is_trading_day")) == "1"
        and (day := iso_date(row.get("calendar_date"), "calendar_date"))
    }
