"""The daily market review (每日复盘) of one trade date, from stored daily bars and basic info. Pure.

Per stock: the change from the previous close (traded prices, not adjusted); advancers, decliners and
unchanged; closes at the limit-up or limit-down price of the stock's board rule that day
(`domain.price_limits`); the total amount traded, the median change, the top gainers and losers and the
mean change per industry. Stocks without a previous close count in `stocks` and the amount only.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from domain.price_limits import is_special_treatment
from domain.price_limits import limit_pct
from domain.price_limits import limit_prices

TOP = 10
UNKNOWN_INDUSTRY = "未知"


@dataclass(frozen=True)
class StockDay:
    """One stock's bar of the day with what the review needs of its basic info."""

    code: str
    board: str | None
    name: str | None
    industry: str | None
    close: Decimal
    previous_close: Decimal | None
    amount: float
    trading_day_number: int | None = None  # 1 on the listing day; None when not a new listing


def price(value: object) -> Decimal:
    """A stored price (float or text) as an exact decimal of at most 3 places (prices are in fen)."""
    return Decimal(str(value)).quantize(Decimal("0.001"))


def change_pct(stock: StockDay) -> float | None:
    """The day's change in percent of the previous close; None without a previous close (or if 0)."""
    if stock.previous_close is None or stock.previous_close == 0:
        return None
    return float((stock.close / stock.previous_close - 1) * 100)


def limit_state(stock: StockDay, day: date) -> str | None:
    """`up` or `down` when the stock closed at its limit price, else None (also when it had no limit)."""
    if stock.previous_close is None or stock.board is None:
        return None
    pct = limit_pct(stock.board, is_special_treatment(stock.name), day, stock.trading_day_number)
    if pct is None:
        return None
    up, down = limit_prices(stock.previous_close, pct)
    if stock.close >= up:
        return "up"
    if stock.close <= down:
        return "down"
    return None


def _mover(stock: StockDay, change: float) -> dict[str, Any]:
    return {
        "code": stock.code,
        "name": stock.name,
        "close": float(stock.close),
        "change_pct": round(change, 4),
    }


def review(day: date, stocks: Sequence[StockDay]) -> dict[str, Any]:
    """The review document of `day` (keyed by `trade_date`)."""
    changes = {stock.code: change for stock in stocks if (change := change_pct(stock)) is not None}
    by_code = {stock.code: stock for stock in stocks}
    states = {stock.code: limit_state(stock, day) for stock in stocks}
    ranked = sorted(changes.items(), key=lambda item: (-item[1], item[0]))
    return {
        "trade_date": day.isoformat(),
        "stocks": len(stocks),
        "advancers": sum(1 for change in changes.values() if change > 0),
        "decliners": sum(1 for change in changes.values() if change < 0),
        "unchanged": sum(1 for change in changes.values() if change == 0),
        "limit_up": sorted(code for code, state in states.items() if state == "up"),
        "limit_down": sorted(code for code, state in states.items() if state == "down"),
        "total_amount": round(sum(stock.amount for stock in stocks), 2),
        "median_change_pct": round(statistics.median(changes.values()), 4) if changes else None,
        "top_gainers": [_mover(by_code[code], change) for code, change in ranked[:TOP] if change > 0],
        "top_losers": [
            _mover(by_code[code], change)
            for code, change in sorted(changes.items(), key=lambda item: (item[1], item[0]))[:TOP]
            if change < 0
        ],
        "industries": _industries(stocks, changes),
    }


def _industries(stocks: Sequence[StockDay], changes: Mapping[str, float]) -> dict[str, dict[str, Any]]:
    grouped: dict[str, list[float]] = defaultdict(list)
    for stock in stocks:
        if stock.code in changes:
            grouped[stock.industry or UNKNOWN_INDUSTRY].append(changes[stock.code])
    return {
        industry: {"stocks": len(values), "mean_change_pct": round(statistics.fmean(values), 4)}
        for industry, values in sorted(grouped.items())
    }


def summary(document: Mapping[str, Any]) -> dict[str, Any]:
    """What a run says of one reviewed day (its result): the counts, not the lists."""
    return {
        "trade_date": document["trade_date"],
        "stocks": document["stocks"],
        "advancers": document["advancers"],
        "decliners": document["decliners"],
        "unchanged": document["unchanged"],
        "limit_up": len(document["limit_up"]),
        "limit_down": len(document["limit_down"]),
        "total_amount": document["total_amount"],
        "median_change_pct": document["median_change_pct"],
    }
