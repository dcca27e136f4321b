"""Turning provider rows into the store's field vocabulary: codes, exchanges, dates, numbers.

Each helper answers None for a missing value and raises `BadValue` for a present but unusable one, so a
row mapper can tell "missing close" from "non-numeric close" in its skip reasons. `compact_date` goes the
other way: a day in the form the providers' requests take.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from datetime import date
from datetime import datetime
from datetime import time
from typing import Any

import pandas as pd

from services.workers.providers.boards import EXCHANGE_NAMES
from services.workers.providers.boards import MAIN
from services.workers.providers.boards import rule_of
from services.workers.providers.errors import DataShapeError
from services.workers.providers.ports import ParsedRows
from services.workers.providers.ports import Row

_CODE = re.compile(r"^(?:(?:sh|sz|bj)\.?)?(\d{6})(?:\.(?:sh|sz|bj))?$", re.IGNORECASE)
_MISSING_TEXT = {"", "-", "--", "none", "nan", "null", "n/a"}


class BadValue(ValueError):
    """A field is present but unusable; the message is the skip reason."""


def text(value: object) -> str | None:
    """A provider's value as stripped text; None when missing (None, NaN, `-`, empty and the like)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    result = str(value).strip()
    return None if result.lower() in _MISSING_TEXT else result


def number(value: object, name: str) -> float | None:
    """A float, None if missing; `BadValue` if it is not a finite number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        result = float(value)
    else:
        raw = text(value)
        if raw is None:
            return None
        try:
            result = float(raw.replace(",", "").rstrip("%"))
        except ValueError:
            raise BadValue(f"non-numeric {name}") from None
    if math.isnan(result):
        return None
    if math.isinf(result):
        raise BadValue(f"non-numeric {name}")
    return result


def required_number(value: object, name: str) -> float:
    """A provider's number; BadValue if it is missing or not a number."""
    result = number(value, name)
    if result is None:
        raise BadValue(f"missing {name}")
    return result


def scaled(value: float | None, factor: float) -> float | None:
    """The value times `factor` (a unit change); None stays None."""
    return None if value is None else value * factor


def same(*columns: str) -> dict[str, str]:
    """Columns the provider names as we do (for `numbers` and `required_numbers`)."""
    return {column: column for column in columns}


def numbers(
    raw: Mapping[str, Any], columns: Mapping[str, str], factor: float = 1.0
) -> dict[str, float | None]:
    """Optional numbers under our names, from the provider's `columns` (ours -> theirs), times `factor`."""
    return {ours: scaled(number(raw.get(theirs), theirs), factor) for ours, theirs in columns.items()}


def required_numbers(raw: Mapping[str, Any], columns: Mapping[str, str]) -> dict[str, float]:
    """Numbers that must be there, under our names (ours -> theirs); `BadValue` for the first missing one."""
    return {ours: required_number(raw.get(theirs), theirs) for ours, theirs in columns.items()}


def code_of(value: object) -> str:
    """The 6-digit code of `600000`, `600000.SH`, `sh600000`, `sh.600000`; `BadValue` otherwise."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1_000_000:
        return f"{value:06d}"
    raw = text(value)
    match = _CODE.match(raw or "")
    if match is None:
        raise BadValue("unknown code")
    code = match[1]
    if exchange_of(code) is None:
        raise BadValue("unknown code")
    return code


def exchange_of(code: str) -> str | None:
    """SH, SZ or BJ by the board table (`boards`); None for a code no A-share exchange uses."""
    rule = rule_of(code)
    return None if rule is None else rule.exchange


def exchange_name(code: str) -> str:
    """SSE, SZSE or BSE."""
    return EXCHANGE_NAMES[exchange_of(code) or "SH"]


def full_symbol(code: str) -> str:
    """A code with its exchange suffix (`600000.SH`)."""
    return f"{code}.{exchange_of(code)}"


def market_of(code: str) -> str:
    """The board (主板, 创业板, 科创板, 北交所, B股) by the board table."""
    rule = rule_of(code)
    return MAIN if rule is None else rule.board


def identity(code: str) -> Row:
    """The identifying fields every record of a stock carries."""
    return {"code": code, "symbol": code, "full_symbol": full_symbol(code)}


def listed_stock(code: str, name: str | None, source: str, name_field: str = "name", **more: object) -> Row:
    """A `stock_basic_info` row of a stock list.

    Identity, name, board and exchange (by the code), what else the source says (`more`), and the source; a
    row without a name is a `BadValue`.
    """
    if name is None:
        raise BadValue(f"missing {name_field}")
    return {
        **identity(code),
        "name": name,
        "market": market_of(code),
        "exchange": exchange_name(code),
        **more,
        "source": source,
        "data_source": source,
    }


def required_date(value: object, name: str) -> str:
    """`iso_date` of a field a row cannot do without (`BadValue` when it is missing)."""
    result = iso_date(value, name)
    if result is None:
        raise BadValue(f"missing {name}")
    return result


def bar_of_day(raw: Mapping[str, Any], code: str, code_column: str, day_column: str) -> Row:
    """The identity and trading day a daily bar of `code` starts with.

    A row that names another stock (in an answer with a code column) or no day is a `BadValue`.
    """
    if code_column in raw and code_of(raw.get(code_column)) != code:
        raise BadValue("unknown code")
    return {**identity(code), "trade_date": required_date(raw.get(day_column), day_column)}


def iso_date(value: object, name: str = "date") -> str | None:
    """`2024-01-02` from `20240102`, `2024-01-02`, a date, a datetime or a Timestamp."""
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    raw = text(value)
    if raw is None:
        return None
    digits = raw[:10].replace("-", "").replace("/", "")
    try:
        return datetime.strptime(digits[:8], "%Y%m%d").strftime("%Y-%m-%d")
    except ValueError:
        raise BadValue(f"invalid {name}") from None


def compact_date(day: date) -> str:
    """`20240102`: a day as tushare's and eastmoney's requests take it."""
    return day.strftime("%Y%m%d")


def optional_date(value: object) -> str | None:
    """Like `iso_date`, but an unreadable value is simply absent (for fields that are not required)."""
    try:
        return iso_date(value)
    except BadValue:
        return None


def iso_time(value: object, name: str = "time") -> str | None:
    """A provider's time as `YYYY-MM-DD HH:MM:SS`; None if missing, BadValue if unreadable."""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    raw = text(value)
    if raw is None:
        return None
    try:
        return pd.Timestamp(raw).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise BadValue(f"invalid {name}") from None


def records(frame: pd.DataFrame | None, required: Iterable[str], call: str) -> Iterator[dict[str, Any]]:
    """The frame's rows as dicts; a frame without the columns we need is a `DataShapeError`."""
    if frame is None or frame.empty:
        return iter(())
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise DataShapeError(call.split(".")[0], call, f"answer lacks columns {missing}")
    return ({str(name): value for name, value in row.items()} for row in frame.to_dict(orient="records"))


def parse_rows(
    rows: Iterable[Mapping[str, Any]],
    mapper: Callable[[Mapping[str, Any]], Row],
    key: Callable[[Row], tuple[Any, ...]],
) -> ParsedRows:
    """Map each row, skipping (and counting) unusable ones and repeated keys (the first one wins)."""
    parsed = ParsedRows()
    seen: set[tuple[Any, ...]] = set()
    for raw in rows:
        try:
            row = mapper(raw)
        except BadValue as error:
            parsed.skip(str(error))
            continue
        row_key = key(row)
        if row_key in seen:
            parsed.skip("duplicate key")
            continue
        seen.add(row_key)
        parsed.rows.append(row)
    return parsed


def traded_price(value: object, name: str) -> float | None:
    """A snapshot's last price; None when the stock did not trade (missing, `-` or 0); negative is bad."""
    price = number(value, name)
    if price is None or price == 0:
        return None
    if price < 0:
        raise BadValue(f"negative {name}")
    return price


def snapshot(identity_fields: Row, price: float | None, prices: Row, common: Row) -> Row:
    """A `market_quotes` record.

    `common` (name, pre_close, trade_date, quote_at, data_source) plus, when the stock traded, `price` and the
    other price fields; when it did not, `suspended` and no price.
    """
    if price is None:
        return {**identity_fields, **common, "suspended": True}
    return {**identity_fields, **common, "price": price, "close": price, **prices, "suspended": False}


_BREAKS = ((time(11, 30), time(13, 0)), (time(15, 0), time(23, 59, 59)))


def quote_time(local: datetime) -> str:
    """When a snapshot was quoted, for sources that do not say.

    `local` is the fetch time (exchange time); the quote time is the fetch time, or the last trading instant
    before it during the lunch break and after the close.
    """
    moment = local.time().replace(microsecond=0)
    for start, end in _BREAKS:
        if start < moment <= end:
            moment = start
    return f"{local:%Y-%m-%d} {moment:%H:%M:%S}"
