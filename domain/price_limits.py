"""Daily price limits of A shares (涨跌幅限制) as data: which limit a stock had on a given day.

Pure (no I/O). The limit is a percentage of the previous close (the exchange's reference price, after
ex-rights), and the limit prices are that close × (1 ± limit) rounded half up to the fen (0.01 yuan), as
the exchanges compute them. Each rule says since when it holds and where it comes from; the newest rule in
force on a day wins.

What is not modelled: B shares, delisting-period stocks and the first day of main-board listings before the
2023 registration reform (a +44 % / -36 % band: treated, like every listing's first days, as no limit).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal
from typing import TypeVar

MAIN, CHINEXT, STAR, BEIJING = "主板", "创业板", "科创板", "北交所"
FEN = Decimal("0.01")
R = TypeVar("R")


@dataclass(frozen=True)
class LimitRule:
    """The daily limit of a board (of ST stocks, of the others, or both) since a day, with its source."""

    board: str
    special_treatment: bool | None  # True: ST/*ST only; False: the others; None: both
    since: date
    limit_pct: Decimal
    source: str


@dataclass(frozen=True)
class NewListingRule:
    """How many first trading days of a new listing on a board have no limit, since a day, with its source."""

    board: str
    since: date
    days_without_limit: int  # the first N trading days of a new listing have no limit
    source: str


LIMIT_RULES: tuple[LimitRule, ...] = (
    LimitRule(MAIN, False, date(1996, 12, 16), Decimal(10), "SSE/SZSE trading rules: ±10 % since 1996-12-16"),
    LimitRule(MAIN, True, date(1998, 4, 22), Decimal(5), "SSE/SZSE special treatment (ST) rules: ±5 %"),
    LimitRule(MAIN, True, date(2025, 7, 7), Decimal(10),
              "SSE/SZSE listing rules revised 2025: main-board risk-warning stocks ±10 % from 2025-07-07"),
    LimitRule(CHINEXT, None, date(2009, 10, 30), Decimal(10), "SZSE ChiNext trading rules: ±10 %"),
    LimitRule(CHINEXT, None, date(2020, 8, 24), Decimal(20),
              "SZSE ChiNext registration reform: ±20 % from 2020-08-24 (ST included)"),
    LimitRule(STAR, None, date(2019, 7, 22), Decimal(20), "SSE STAR Market trading rules: ±20 % (ST too)"),
    LimitRule(BEIJING, None, date(2021, 11, 15), Decimal(30), "BSE trading rules: ±30 % (ST included)"),
)  # fmt: skip

NEW_LISTING_RULES: tuple[NewListingRule, ...] = (
    NewListingRule(MAIN, date(1996, 12, 16), 1, "first day: special +44 %/-36 % band, not the daily limit"),
    NewListingRule(MAIN, date(2023, 4, 10), 5, "SSE/SZSE full registration: no limit for 5 trading days"),
    NewListingRule(CHINEXT, date(2009, 10, 30), 1, "first day: special band, not the daily limit"),
    NewListingRule(CHINEXT, date(2020, 8, 24), 5, "SZSE ChiNext registration reform: no limit for 5 days"),
    NewListingRule(STAR, date(2019, 7, 22), 5, "SSE STAR Market: no limit for the first 5 trading days"),
    NewListingRule(BEIJING, date(2021, 11, 15), 1, "BSE: no limit on the first trading day"),
)


def is_special_treatment(name: str | None) -> bool:
    """ST and *ST (风险警示) by the stock's name."""
    return name is not None and "ST" in name.upper().replace("＊", "*")


def limit_pct(
    board: str, special_treatment: bool, day: date, trading_day_number: int | None
) -> Decimal | None:
    """The price limit in percent on `day`; None when the stock had none.

    The limit in percent on `day`, or None when the stock had none (a new listing's first days, a board
    without a rule). `trading_day_number`: 1 on the listing day, None when unknown (not a new listing).
    """
    listing = _newest(
        (rule for rule in NEW_LISTING_RULES if rule.board == board and rule.since <= day),
        key=lambda rule: rule.since,
    )
    if (
        listing is not None
        and trading_day_number is not None
        and trading_day_number <= listing.days_without_limit
    ):
        return None
    rule = _newest(
        (
            rule
            for rule in LIMIT_RULES
            if rule.board == board
            and rule.since <= day
            and rule.special_treatment in (None, special_treatment)
        ),
        key=lambda rule: rule.since,
    )
    return None if rule is None else rule.limit_pct


def limit_prices(previous_close: Decimal, pct: Decimal) -> tuple[Decimal, Decimal]:
    """(limit-up, limit-down) prices: previous close × (1 ± pct %), rounded half up to the fen."""
    ratio = pct / Decimal(100)
    up = (previous_close * (1 + ratio)).quantize(FEN, rounding=ROUND_HALF_UP)
    down = (previous_close * (1 - ratio)).quantize(FEN, rounding=ROUND_HALF_UP)
    return up, down


def _newest(rules: Iterable[R], *, key: Callable[[R], date]) -> R | None:
    return max(rules, key=key, default=None)
