"""Daily bars on one forward-adjusted basis.

Every stored bar of a symbol (per source) is forward-adjusted (qfq) to the same basis, the factor of the
symbol's newest stored bar, and says so.

A stored bar carries the prices as traded (`raw_open`, `raw_high`, `raw_low`, `raw_close`, `raw_pre_close`),
its day's cumulative factor (`adj_factor`), and the qfq prices (`open` ... `pre_close`, `change`) computed
as `raw × adj_factor / basis_factor`, with `adjust: "qfq"`, `basis_factor` and `basis_date` (the first
stored trading day on the basis factor: from there on qfq equals the traded price). When new bars bring a
new factor (an ex-rights date), every stored bar of the symbol is recomputed from its raw prices and
written again with the new bars, so a series never mixes bases, and equals a one-call qfq fetch of the same
days. `pct_chg`, volume and amount are not adjusted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.workers.providers.ports import Row

PRICES = ("open", "high", "low", "close", "pre_close")
_DIGITS = 4
_SAME = 1e-12


@dataclass(frozen=True)
class Basis:
    """The basis bars are forward-adjusted to: a cumulative factor and the day of the bar that has it."""

    factor: float
    date: str


def raw_bar(bar: Row) -> Row:
    """A bar as the provider sent it (unadjusted) from a stored one, or the new one as is."""
    if "raw_close" not in bar:
        return dict(bar)
    return {**bar, **{name: bar.get(f"raw_{name}") for name in PRICES}}


def basis_of(series: Sequence[Row], stored: Basis | None) -> Basis:
    """The basis of a series of unadjusted bars (ascending by date, each with `adj_factor`)."""
    latest = float(series[-1]["adj_factor"])
    if stored is not None and abs(stored.factor - latest) <= _SAME * latest:
        return stored
    first = series[-1]["trade_date"]
    for bar in reversed(series):
        if abs(float(bar["adj_factor"]) - latest) > _SAME * latest:
            break
        first = bar["trade_date"]
    return Basis(latest, str(first))


def on_basis(bar: Row, basis: Basis) -> Row:
    """An unadjusted bar forward-adjusted to `basis`, keeping its traded prices beside."""
    ratio = float(bar["adj_factor"]) / basis.factor
    adjusted: Row = {**bar, "adjust": "qfq", "basis_factor": basis.factor, "basis_date": basis.date}
    for name in PRICES:
        value = bar.get(name)
        adjusted[f"raw_{name}"] = value
        adjusted[name] = None if value is None else round(float(value) * ratio, _DIGITS)
    close, pre_close = adjusted["close"], adjusted["pre_close"]
    adjusted["change"] = None if pre_close is None else round(close - pre_close, _DIGITS)
    return adjusted


def merged_series(stored: Sequence[Row], new: Sequence[Row]) -> list[Row]:
    """Stored bars (back to unadjusted) and new ones, one per trade date (the new one wins), ascending."""
    by_date = {str(bar["trade_date"]): raw_bar(bar) for bar in stored}
    by_date.update({str(bar["trade_date"]): dict(bar) for bar in new})
    return [by_date[day] for day in sorted(by_date)]
