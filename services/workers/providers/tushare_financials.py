"""Tushare's four statement answers (income, balance sheet, cash flow, indicators) merged per period."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from services.workers.providers.normalise import BadValue
from services.workers.providers.normalise import identity
from services.workers.providers.normalise import iso_date
from services.workers.providers.normalise import number
from services.workers.providers.normalise import optional_date
from services.workers.providers.normalise import records
from services.workers.providers.normalise import text
from services.workers.providers.ports import ParsedRows
from services.workers.providers.ports import Row

SOURCE = "tushare"
STATEMENTS = ("income", "balancesheet", "cashflow", "fina_indicator")
_IDENTIFIERS = {"ts_code", "ann_date", "f_ann_date", "end_date", "report_type", "comp_type"}
_IDENTIFIERS |= {"end_type", "update_flag"}
# headline field -> (statement, tushare column)
HEADLINE = {
    "revenue": ("income", "total_revenue"),
    "net_profit": ("income", "n_income_attr_p"),
    "eps": ("income", "basic_eps"),
    "total_assets": ("balancesheet", "total_assets"),
    "total_liabilities": ("balancesheet", "total_liab"),
    "total_equity": ("balancesheet", "total_hldr_eqy_exc_min_int"),
    "operating_cash_flow": ("cashflow", "n_cashflow_act"),
    "roe": ("fina_indicator", "roe"),
    "gross_margin": ("fina_indicator", "grossprofit_margin"),
    "net_margin": ("fina_indicator", "netprofit_margin"),
    "debt_to_assets": ("fina_indicator", "debt_to_assets"),
}


def _numbers(raw: Mapping[str, Any]) -> dict[str, float]:
    values: dict[str, float] = {}
    for name, value in raw.items():
        if name in _IDENTIFIERS:
            continue
        try:
            parsed = number(value, name)
        except BadValue:
            continue
        if parsed is not None:
            values[name] = parsed
    return values


def merge_statements(code: str, frames: Mapping[str, pd.DataFrame | None]) -> ParsedRows:
    """One record per `end_date`; the first row of a period in each statement wins (newest first)."""
    parsed = ParsedRows()
    periods: dict[str, Row] = {}
    for statement in STATEMENTS:
        seen: set[str] = set()
        for raw in records(frames.get(statement), ["end_date"], f"tushare.{statement}"):
            try:
                period = iso_date(raw.get("end_date"), "end_date")
            except BadValue as error:
                parsed.skip(str(error))
                continue
            if period is None:
                parsed.skip("missing end_date")
                continue
            if period in seen:
                continue  # a restated copy of the same period: tushare lists the newest first
            seen.add(period)
            record = periods.setdefault(period, _new_record(code, period))
            record[statement] = _numbers(raw)
            record["ann_date"] = record.get("ann_date") or optional_date(raw.get("ann_date"))
            record["report_type"] = record.get("report_type") or text(raw.get("report_type"))
    for record in periods.values():
        for field, (statement, column) in HEADLINE.items():
            record[field] = record.get(statement, {}).get(column)
        parsed.rows.append(record)
    return parsed


def _new_record(code: str, period: str) -> Row:
    return {**identity(code), "report_period": period, "data_source": SOURCE}
