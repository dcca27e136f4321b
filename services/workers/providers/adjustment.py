"""Adjustment factors: every provider's bars come unadjusted, each with its day's cumulative factor.

The factor is the back-adjustment (hfq) factor: tushare `adj_factor` (one per trading day), baostock
`query_adjust_factor`'s `backAdjustFactor` and sina's `hfq-factor` table (akshare `stock_zh_a_daily`), both
given on the ex-rights dates only and holding until the next one (1.0 before the first). A forward-adjusted
(qfq) price is `price × factor(day) / factor(basis day)`, which is what tushare's `pro_bar(adj='qfq')`
computes with the last day of its window as the basis.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import date

from services.workers.providers.normalise import BadValue
from services.workers.providers.normalise import iso_date
from services.workers.providers.normalise import number
from services.workers.providers.ports import ParsedRows
from services.workers.providers.ports import Row

MISSING_FACTOR = "missing adj_factor"


class FactorSteps:
    """A factor that changes on given dates (ISO) and holds until the next change; 1.0 before the first."""

    def __init__(self, steps: Iterable[tuple[str, float]]) -> None:
        ordered = sorted(dict(steps).items())
        self._dates = [day for day, _ in ordered]
        self._factors = [factor for _, factor in ordered]

    def on(self, day: str) -> float:
        """The factor in force on `day` (ISO date): the latest change on or before it, 1.0 before any."""
        index = bisect_right(self._dates, day)
        return 1.0 if index == 0 else self._factors[index - 1]

    def __len__(self) -> int:
        return len(self._dates)


def steps_from(rows: Iterable[dict[str, object]], date_field: str, factor_field: str) -> FactorSteps:
    """Factor steps from a provider's table; rows without a readable date or positive factor are left out."""
    steps: list[tuple[str, float]] = []
    for row in rows:
        try:
            day = iso_date(row.get(date_field), date_field)
            factor = number(row.get(factor_field), factor_field)
        except BadValue:
            continue
        if day is not None and factor is not None and factor > 0:
            steps.append((day, factor))
    return FactorSteps(steps)


OUTSIDE_WINDOW = "outside the requested window"


def within(parsed: ParsedRows, start: date, end: date) -> ParsedRows:
    """The bars of the requested days; others (a provider answering for other dates) left out, counted."""
    first, last = start.isoformat(), end.isoformat()
    result = ParsedRows(skipped_reasons=parsed.skipped_reasons.copy(), suspended=parsed.suspended)
    for row in parsed.rows:
        if first <= str(row["trade_date"]) <= last:
            result.rows.append(row)
        else:
            result.skip(OUTSIDE_WINDOW)
    return result


def with_factors(parsed: ParsedRows, factor_of: dict[str, float] | FactorSteps) -> ParsedRows:
    """Each bar with its day's `adj_factor`; a bar whose day has no factor is left out and counted."""
    result = ParsedRows(skipped_reasons=parsed.skipped_reasons.copy(), suspended=parsed.suspended)
    for row in parsed.rows:
        day = str(row["trade_date"])
        factor = factor_of.on(day) if isinstance(factor_of, FactorSteps) else factor_of.get(day)
        if factor is None:
            result.skip(MISSING_FACTOR)
            continue
        bar: Row = {**row, "adj_factor": factor}
        result.rows.append(bar)
    return result
