"""AKShare financial data: sina's key-indicator abstract plus its three statements, merged per period.

`stock_financial_abstract` is wide: one row per indicator (`选项`, `指标`) and one column per report
period (`20240930`, ...). `stock_financial_report_sina` is long: one row per period (`报告日`) and one
column per item.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from services.workers.providers.normalise import BadValue
from services.workers.providers.normalise import identity
from services.workers.providers.normalise import iso_date
from services.workers.providers.normalise import number
from services.workers.providers.normalise import records
from services.workers.providers.normalise import text
from services.workers.providers.ports import ParsedRows
from services.workers.providers.ports import Row

SOURCE = "akshare"
STATEMENTS = {"资产负债表": "balance_sheet", "利润表": "income", "现金流量表": "cash_flow"}
_PERIOD_COLUMN = re.compile(r"^\d{8}$")
# headline field -> indicator name in the abstract
HEADLINE = {
    "revenue": "营业总收入",
    "net_profit": "归母净利润",
    "eps": "基本每股收益",
    "total_equity": "股东权益合计(净资产)",
    "operating_cash_flow": "经营现金流量净额",
    "roe": "净资产收益率(ROE)",
    "gross_margin": "毛利率",
    "net_margin": "销售净利率",
    "debt_to_assets": "资产负债率",
}
# headline field -> (statement, item) when the abstract lacks it
FROM_STATEMENTS = {
    "total_assets": ("balance_sheet", "资产总计"),
    "total_liabilities": ("balance_sheet", "负债合计"),
}


def _number_or_none(value: object, name: str) -> float | None:
    try:
        return number(value, name)
    except BadValue:
        return None


def abstract_periods(frame: pd.DataFrame | None) -> dict[str, dict[str, float]]:
    """By period (ISO date): indicator name -> value."""
    periods: dict[str, dict[str, float]] = {}
    if frame is None or frame.empty:
        return periods
    columns = [str(column) for column in frame.columns if _PERIOD_COLUMN.match(str(column))]
    for raw in records(frame, ["指标"], "akshare.stock_financial_abstract"):
        indicator = text(raw.get("指标"))
        if indicator is None:
            continue
        for column in columns:
            value = _number_or_none(raw.get(column), indicator)
            if value is not None:
                period = iso_date(column) or column
                periods.setdefault(period, {}).setdefault(indicator, value)
    return periods


def statement_periods(frame: pd.DataFrame | None, call: str) -> tuple[dict[str, Row], int]:
    """By period: item -> value for one sina statement, and how many rows had no readable period."""
    periods: dict[str, Row] = {}
    unreadable = 0
    for raw in records(frame, ["报告日"], call):
        try:
            period = iso_date(raw.get("报告日"), "报告日")
        except BadValue:
            period = None
        if period is None:
            unreadable += 1
            continue
        values = {
            str(name): value
            for name, value in ((n, _number_or_none(v, str(n))) for n, v in raw.items())
            if value is not None and name != "报告日"
        }
        periods.setdefault(period, values)
    return periods, unreadable


def merge(
    code: str, abstract: pd.DataFrame | None, statements: Mapping[str, pd.DataFrame | None]
) -> ParsedRows:
    """One `stock_financial_data` row per report period, from akshare's abstract and statements of a stock."""
    parsed = ParsedRows()
    records_by_period: dict[str, Row] = {}

    def record(period: str) -> Row:
        return records_by_period.setdefault(
            period, {**identity(code), "report_period": period, "data_source": SOURCE}
        )

    for period, indicators in abstract_periods(abstract).items():
        target = record(period)
        target["abstract"] = indicators
        for field, indicator in HEADLINE.items():
            target[field] = indicators.get(indicator)
    for label, key in STATEMENTS.items():
        periods, unreadable = statement_periods(statements.get(label), f"akshare.{label}")
        for _ in range(unreadable):
            parsed.skip("invalid 报告日")
        for period, values in periods.items():
            record(period)[key] = values
    for target in records_by_period.values():
        for field, (statement, item) in FROM_STATEMENTS.items():
            source: dict[str, Any] = target.get(statement, {})
            target[field] = target.get(field) or source.get(item)
        parsed.rows.append(target)
    return parsed
