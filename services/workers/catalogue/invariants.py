"""What every written bar or quote must satisfy, checked before the write; a row that breaks one is refused.

- prices: `low ≤ open, close ≤ high`;
- units: the day's average price `amount / volume` (yuan per share) inside `[low, high]`, within
  `AVERAGE_PRICE_TOLERANCE`: volume in shares and amount in yuan, so a 手 (×100) or 千元 (×1000) slip shows
  at once; volume and amount are both zero or both positive, never negative;
- `pct_chg` agrees with `close` and `pre_close` (within `PCT_CHG_TOLERANCE` percentage points, the
  providers round it to two decimals).

Checked on unadjusted prices (an adjusted price is not what was traded). A field the row does not carry is
not checked (a snapshot without open, say); a missing close is refused earlier, by the row parsers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from services.workers.providers.ports import Row

AVERAGE_PRICE_TOLERANCE = 0.02  # relative, beyond low and high
PCT_CHG_TOLERANCE = 0.06  # percentage points
_EPSILON = 1e-9

PRICE_ORDER = "invariant: low ≤ open, close ≤ high"
AVERAGE_PRICE = "invariant: amount / volume outside [low, high] (units of volume or amount)"
VOLUME_AMOUNT = "invariant: volume and amount disagree (one zero or negative)"
PCT_CHG = "invariant: pct_chg disagrees with close and pre_close"
NON_POSITIVE_PRICE = "invariant: a price ≤ 0"


def _value(row: Row, name: str) -> float | None:
    value: Any = row.get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _price_order(row: Row) -> str | None:
    prices = {name: _value(row, name) for name in ("open", "high", "low", "close")}
    if any(value is not None and value <= 0 for value in prices.values()):
        return NON_POSITIVE_PRICE
    high, low = prices["high"], prices["low"]
    inner = [value for name in ("open", "close") if (value := prices[name]) is not None]
    if high is not None and low is not None and low > high + _EPSILON:
        return PRICE_ORDER
    if high is not None and any(value > high + _EPSILON for value in inner):
        return PRICE_ORDER
    if low is not None and any(value < low - _EPSILON for value in inner):
        return PRICE_ORDER
    return None


def _units(row: Row) -> str | None:
    volume, amount = _value(row, "volume"), _value(row, "amount")
    if volume is None or amount is None:
        return None
    if volume < 0 or amount < 0 or (volume == 0) != (amount == 0):
        return VOLUME_AMOUNT
    high, low = _value(row, "high"), _value(row, "low")
    if volume == 0 or high is None or low is None:
        return None
    average = amount / volume
    if not low * (1 - AVERAGE_PRICE_TOLERANCE) <= average <= high * (1 + AVERAGE_PRICE_TOLERANCE):
        return AVERAGE_PRICE
    return None


def _pct_chg(row: Row) -> str | None:
    close, pre_close, pct_chg = _value(row, "close"), _value(row, "pre_close"), _value(row, "pct_chg")
    if close is None or pre_close is None or pct_chg is None or pre_close <= 0:
        return None
    expected = (close - pre_close) / pre_close * 100
    return None if abs(expected - pct_chg) <= PCT_CHG_TOLERANCE else PCT_CHG


def broken_invariant(row: Row) -> str | None:
    """The first invariant the row breaks, or None."""
    return _price_order(row) or _units(row) or _pct_chg(row)


@dataclass
class Checked:
    """The rows that passed the invariants, and how many were refused, by reason."""

    rows: list[Row] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)


def checked(rows: Iterable[Row]) -> Checked:
    """The rows that satisfy every invariant, and the others counted by the invariant they break."""
    result = Checked()
    for row in rows:
        reason = broken_invariant(row)
        if reason is None:
            result.rows.append(row)
        else:
            result.refused[reason] += 1
    return result
