"""AKShare answers (DataFrames with its Chinese column names) mapped to the store's vocabulary.

Units: eastmoney's spot and history report 成交量 in 手 (×100 → shares) and 成交额 in yuan; sina's spot
reports shares and yuan; `stock_individual_info_em` reports shares and yuan.
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
    iso_time,
    market_of,
    number,
    parse_rows,
    records,
    required_number,
    scaled,
    text,
)
from services.workers.providers.ports import ParsedRows, Row

SOURCE = "akshare"


def stock_list(frame: pd.DataFrame | None) -> ParsedRows:
    def mapper(raw: Mapping[str, Any]) -> Row:
        code = code_of(raw.get("code"))
        name = text(raw.get("name"))
        if name is None:
            raise BadValue("missing name")
        return {
            **identity(code),
            "name": name,
            "market": market_of(code),
            "exchange": exchange_name(code),
            "source": SOURCE,
            "data_source": SOURCE,
        }

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


def spot_quotes(frame: pd.DataFrame | None, trade_date: str, *, feed: str) -> ParsedRows:
    """Sina (`stock_zh_a_spot`, volume in shares) or eastmoney (`stock_zh_a_spot_em`, in 手)."""
    volume_factor = 100.0 if feed == "eastmoney" else 1.0

    def mapper(raw: Mapping[str, Any]) -> Row:
        code = code_of(raw.get("代码"))
        price = required_number(raw.get("最新价"), "最新价")
        return {
            **identity(code),
            "name": text(raw.get("名称")),
            "price": price,
            "close": price,
            "open": number(raw.get("今开"), "今开"),
            "high": number(raw.get("最高"), "最高"),
            "low": number(raw.get("最低"), "最低"),
            "pre_close": number(raw.get("昨收"), "昨收"),
            "volume": scaled(number(raw.get("成交量"), "成交量"), volume_factor),
            "amount": number(raw.get("成交额"), "成交额"),
            "change": number(raw.get("涨跌额"), "涨跌额"),
            "pct_chg": number(raw.get("涨跌幅"), "涨跌幅"),
            "turnover_rate": number(raw.get("换手率"), "换手率"),
            "trade_date": trade_date,
            "data_source": f"{SOURCE}_{feed}",
        }

    call = "akshare.stock_zh_a_spot_em" if feed == "eastmoney" else "akshare.stock_zh_a_spot"
    rows = records(frame, ["代码", "最新价"], call)
    return parse_rows(rows, mapper, lambda row: (row["code"],))


def daily_bars(frame: pd.DataFrame | None, code: str) -> ParsedRows:
    def mapper(raw: Mapping[str, Any]) -> Row:
        if "股票代码" in raw and code_of(raw.get("股票代码")) != code:
            raise BadValue("unknown code")
        trade_date = iso_date(raw.get("日期"), "日期")
        if trade_date is None:
            raise BadValue("missing 日期")
        close = required_number(raw.get("收盘"), "收盘")
        change = number(raw.get("涨跌额"), "涨跌额")
        return {
            **identity(code),
            "trade_date": trade_date,
            "period": "daily",
            "adjust": "qfq",
            "data_source": SOURCE,
            "open": required_number(raw.get("开盘"), "开盘"),
            "high": required_number(raw.get("最高"), "最高"),
            "low": required_number(raw.get("最低"), "最低"),
            "close": close,
            "pre_close": None if change is None else round(close - change, 4),
            "change": change,
            "pct_chg": number(raw.get("涨跌幅"), "涨跌幅"),
            "volume": scaled(number(raw.get("成交量"), "成交量"), 100),
            "amount": number(raw.get("成交额"), "成交额"),
            "turnover_rate": number(raw.get("换手率"), "换手率"),
        }

    rows = records(frame, ["日期", "收盘"], "akshare.stock_zh_a_hist")
    return parse_rows(rows, mapper, lambda row: (row["trade_date"],))


def news(frame: pd.DataFrame | None, code: str, limit: int) -> ParsedRows:
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
