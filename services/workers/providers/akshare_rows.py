"""AKShare answers (DataFrames with its Chinese column names) mapped to the store's vocabulary.

Units: eastmoney's spot and history report 成交量 in 手 (×100 → shares) and 成交额 in yuan; sina's spot
reports shares and yuan; `stock_individual_info_em` reports shares and yuan.
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
from services.workers.providers.normalise import iso_time
from services.workers.providers.normalise import listed_stock
from services.workers.providers.normalise import number
from services.workers.providers.normalise import numbers
from services.workers.providers.normalise import parse_rows
from services.workers.providers.normalise import records
from services.workers.providers.normalise import required_number
from services.workers.providers.normalise import required_numbers
from services.workers.providers.normalise import snapshot
from services.workers.providers.normalise import text
from services.workers.providers.normalise import traded_price
from services.workers.providers.ports import ParsedRows
from services.workers.providers.ports import Row

SOURCE = "akshare"


def stock_list(frame: pd.DataFrame | None) -> ParsedRows:
    """The akshare code and name list as `stock_basic_info` rows."""

    def mapper(raw: Mapping[str, Any]) -> Row:
        return listed_stock(code_of(raw.get("code")), text(raw.get("name")), SOURCE)

    rows = records(frame, ["code", "name"], "akshare.stock_info_a_code_name")
    return parse_rows(rows, mapper, lambda row: (row["code"],))


def individual_info(frame: pd.DataFrame | None) -> Row | None:
    """`stock_individual_info_em` is a two-column item/value frame; None if it says nothing."""
    items = {
        str(row["item"]): row["value"]
        for row in records(frame, ["item", "value"], "akshare.stock_individual_info_em")
    }
    if not items:
        return None

    def optional(name: str, field: str) -> float | None:
        try:
            return number(items.get(name), field)
        except BadValue:
            return None

    list_date = items.get("上市时间")
    try:
        listed = iso_date(list_date, "list_date")
    except BadValue:
        listed = None
    return {
        "name": text(items.get("股票简称")),
        "industry": text(items.get("行业")),
        "list_date": listed,
        "total_share": optional("总股本", "total_share"),
        "float_share": optional("流通股", "float_share"),
        "total_mv": optional("总市值", "total_mv"),
        "circ_mv": optional("流通市值", "circ_mv"),
    }


SPOT_COLUMNS = [
    "代码",
    "名称",
    "最新价",
    "今开",
    "最高",
    "最低",
    "昨收",
    "成交量",
    "成交额",
    "涨跌额",
    "涨跌幅",
]


def spot_quotes(frame: pd.DataFrame | None, trade_date: str, quote_at: str, *, feed: str) -> ParsedRows:
    """Spot quotes from Sina or eastmoney.

    Sina (`stock_zh_a_spot`, volume in shares, its `时间戳`) or eastmoney (`stock_zh_a_spot_em`, in 手;
    no time: `quote_at`, the fetch time capped at the close). A stock without a price did not trade.
    """
    volume_factor = 100.0 if feed == "eastmoney" else 1.0

    def mapper(raw: Mapping[str, Any]) -> Row:
        code = code_of(raw.get("代码"))
        stamp = text(raw.get("时间戳"))
        common = {
            "name": text(raw.get("名称")),
            "pre_close": number(raw.get("昨收"), "昨收"),
            "trade_date": trade_date,
            "quote_at": f"{trade_date} {stamp}" if stamp and len(stamp) == 8 else quote_at,
            "data_source": f"{SOURCE}_{feed}",
        }
        prices = {
            **numbers(raw, {"open": "今开", "high": "最高", "low": "最低"}),
            **numbers(raw, {"volume": "成交量"}, volume_factor),
            **numbers(
                raw, {"amount": "成交额", "change": "涨跌额", "pct_chg": "涨跌幅", "turnover_rate": "换手率"}
            ),
        }
        return snapshot(identity(code), traded_price(raw.get("最新价"), "最新价"), prices, common)

    call = "akshare.stock_zh_a_spot_em" if feed == "eastmoney" else "akshare.stock_zh_a_spot"
    required = SPOT_COLUMNS + (["换手率"] if feed == "eastmoney" else ["时间戳"])
    return parse_rows(records(frame, required, call), mapper, lambda row: (row["code"],))


HIST_COLUMNS = ["日期", "开盘", "收盘", "最高", "最低", "成交量", "成交额", "涨跌幅", "涨跌额", "换手率"]


def daily_bars(frame: pd.DataFrame | None, code: str) -> ParsedRows:
    """Unadjusted bars (`adjust=""`); eastmoney leaves out the days a stock did not trade."""

    def mapper(raw: Mapping[str, Any]) -> Row:
        bar = bar_of_day(raw, code, "股票代码", "日期")
        close = required_number(raw.get("收盘"), "收盘")
        change = number(raw.get("涨跌额"), "涨跌额")
        return {
            **bar,
            "period": "daily",
            "data_source": SOURCE,
            **required_numbers(raw, {"open": "开盘", "high": "最高", "low": "最低"}),
            "close": close,
            "pre_close": None if change is None else round(close - change, 4),
            "change": change,
            **numbers(raw, {"pct_chg": "涨跌幅"}),
            **numbers(raw, {"volume": "成交量"}, 100),
            **numbers(raw, {"amount": "成交额", "turnover_rate": "换手率"}),
        }

    rows = records(frame, HIST_COLUMNS, "akshare.stock_zh_a_hist")
    return parse_rows(rows, mapper, lambda row: (row["trade_date"],))


def hfq_factor_rows(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """Sina's back-adjustment factor rows.

    From `stock_zh_a_daily(adjust="hfq-factor")`: `date`, `hfq_factor`, one row per ex-rights date.
    """
    return list(records(frame, ["date", "hfq_factor"], "akshare.stock_zh_a_daily"))


def news(frame: pd.DataFrame | None, code: str, limit: int) -> ParsedRows:
    """The akshare news items of one stock as `stock_news` rows, at most `limit`."""

    def mapper(raw: Mapping[str, Any]) -> Row:
        url, title = text(raw.get("新闻链接")), text(raw.get("新闻标题"))
        if url is None or title is None:
            raise BadValue("missing 新闻链接" if url is None else "missing 新闻标题")
        published = iso_time(raw.get("发布时间"), "发布时间")
        if published is None:
            raise BadValue("missing 发布时间")
        return {
            **identity(code),
            "url": url,
            "title": title,
            "publish_time": published,
            "content": text(raw.get("新闻内容")),
            "source": text(raw.get("文章来源")),
            "keyword": text(raw.get("关键词")),
            "data_source": SOURCE,
        }

    rows = records(frame, ["新闻标题", "新闻链接", "发布时间"], "akshare.stock_news_em")
    parsed = parse_rows(rows, mapper, lambda row: (row["url"], row["title"], row["publish_time"]))
    parsed.rows = parsed.rows[:limit]
    return parsed
