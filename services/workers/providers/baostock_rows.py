"""BaoStock answers (string rows under baostock's field names) mapped to the store's vocabulary.

Codes look like `sh.600000`; every value is a string; volume is in shares and amount in yuan. A day a stock
did not trade (`tradestatus` 0, sent as a volume-0 bar at the last close) is left out, as tushare and
eastmoney leave it out, and counted `suspended`.
`query_stock_basic` also lists indices, funds and bonds (`type` != 1) and delisted stocks (`status` 0):
those are not A-share rows of interest and are dropped without being counted as skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.workers.providers.normalise import bar_of_day
from services.workers.providers.normalise import code_of
from services.workers.providers.normalise import exchange_of
from services.workers.providers.normalise import iso_date
from services.workers.providers.normalise import listed_stock
from services.workers.providers.normalise import number
from services.workers.providers.normalise import numbers
from services.workers.providers.normalise import parse_rows
from services.workers.providers.normalise import required_number
from services.workers.providers.normalise import required_numbers
from services.workers.providers.normalise import same
from services.workers.providers.normalise import text
from services.workers.providers.ports import ParsedRows
from services.workers.providers.ports import Row

SOURCE = "baostock"
BASIC_FIELDS = ("code", "code_name", "ipoDate", "outDate", "type", "status")
K_FIELDS = (
    "date,code,open,high,low,close,preclose,volume,amount,adjustflag,turn,tradestatus,pctChg,peTTM,pbMRQ,isST"
)


def baostock_code(code: str) -> str:
    """A stock code as baostock writes it (`sh.600000`)."""
    return f"{(exchange_of(code) or 'SH').lower()}.{code}"


def stock_list(rows: list[Mapping[str, Any]]) -> ParsedRows:
    """The baostock listed shares as `stock_basic_info` rows."""
    listed_shares = [r for r in rows if str(r.get("type")) == "1" and str(r.get("status")) == "1"]

    def mapper(raw: Mapping[str, Any]) -> Row:
        return listed_stock(
            code_of(raw.get("code")),
            text(raw.get("code_name")),
            SOURCE,
            "code_name",
            list_date=iso_date(raw.get("ipoDate"), "ipoDate"),
        )

    return parse_rows(listed_shares, mapper, lambda row: (row["code"],))


# Our names -> baostock's columns, for the optional numbers of a bar.
BAR_NUMBERS = {
    "pct_chg": "pctChg", "volume": "volume", "amount": "amount", "turnover_rate": "turn", "pe": "peTTM",
    "pb": "pbMRQ",
}  # fmt: skip


def _bar(raw: Mapping[str, Any], code: str) -> Row:
    bar = bar_of_day(raw, code, "code", "date")
    close = required_number(raw.get("close"), "close")
    pre_close = number(raw.get("preclose"), "preclose")
    return {
        **bar,
        **required_numbers(raw, same("open", "high", "low")),
        "close": close,
        "pre_close": pre_close,
        "change": None if pre_close is None else round(close - pre_close, 4),
        **numbers(raw, BAR_NUMBERS),
        "data_source": SOURCE,
    }


def daily_bars(rows: list[Mapping[str, Any]], code: str) -> ParsedRows:
    """Unadjusted bars of the days the stock traded."""

    def mapper(raw: Mapping[str, Any]) -> Row:
        return {**_bar(raw, code), "period": "daily"}

    traded = [row for row in rows if str(row.get("tradestatus", "1")).strip() != "0"]
    parsed = parse_rows(traded, mapper, lambda row: (row["trade_date"],))
    parsed.suspended = len(rows) - len(traded)
    return parsed


def latest_quote(rows: list[Mapping[str, Any]], code: str, day: str) -> ParsedRows:
    """The bar of `day` as a `market_quotes` record at the close (15:00); bars of other days are left out."""
    bars = daily_bars(rows, code)
    quotes = [
        {
            **{name: value for name, value in bar.items() if name not in {"period", "pe", "pb"}},
            "price": bar["close"],
            "quote_at": f"{day} 15:00:00",
            "suspended": False,
        }
        for bar in bars.rows
        if bar["trade_date"] == day
    ]
    return ParsedRows(rows=quotes, skipped_reasons=bars.skipped_reasons, suspended=bars.suspended)


def trade_dates(rows: list[Mapping[str, Any]]) -> set[str]:
    """The trading days (ISO) among baostock's calendar rows."""
    return {
        day
        for row in rows
        if str(row.get("is_trading_day")) == "1"
        and (day := iso_date(row.get("calendar_date"), "calendar_date"))
    }
