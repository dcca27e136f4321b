"""Test doubles: a drivable clock, a recording JobContext, and fakes of the three provider libraries that
answer fixture frames of the real shapes (`tests/fixtures/market`) and can be scripted to fail."""

from __future__ import annotations

import json
from collections import defaultdict
from collections import deque
from collections.abc import Callable
from datetime import date
from datetime import datetime
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from services.workers.job_api import PartialResult
from services.workers.job_api import RunCancelled

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "market"


def load_frame(name: str) -> pd.DataFrame:
    spec = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    frame = pd.DataFrame(spec["data"], columns=spec["columns"])
    for column in spec.get("date_columns", []):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame


class FakeClock:
    """Time moves only when a job sleeps (or a test advances it): no real waiting."""

    def __init__(self, now: datetime) -> None:
        self._now = now
        self._monotonic = 1000.0
        self.sleeps: list[float] = []

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)

    def set_now(self, moment: datetime) -> None:
        self._now = moment

    def advance(self, seconds: float) -> None:
        self._monotonic += max(seconds, 0.0)
        self._now += timedelta(seconds=max(seconds, 0.0))


class FakeContext:
    """Records progress; `cancel_after=N` makes the N-th progress report (and later checks) cancel."""

    def __init__(
        self,
        job_id: str,
        kwargs: dict[str, Any] | None = None,
        *,
        force: bool = False,
        cancel_after: int | None = None,
    ) -> None:
        self.job_id = job_id
        self.execution_id = f"{job_id}-test"
        self.kwargs = dict(kwargs or {})
        self.force = force
        self.is_manual = force
        self.events: list[dict[str, Any]] = []
        self.checks = 0
        self._cancel_after = cancel_after
        self._cancelled = False

    @property
    def cancel_requested(self) -> bool:
        return self._cancelled

    def check_cancelled(self) -> None:
        self.checks += 1
        if self._cancelled:
            raise RunCancelled("tester")

    async def progress(
        self,
        percent: float,
        message: str | None = None,
        *,
        current_item: str | None = None,
        total_items: int | None = None,
        processed_items: int | None = None,
    ) -> None:
        self.check_cancelled()
        self.events.append(
            {
                "percent": percent,
                "message": message,
                "current_item": current_item,
                "total_items": total_items,
                "processed_items": processed_items,
            }
        )
        if self._cancel_after is not None and len(self.events) >= self._cancel_after:
            self._cancelled = True
        self.check_cancelled()


class Scripted:
    """Queues failures per call name: the next calls raise them, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._failures: dict[str, deque[BaseException]] = defaultdict(deque)
        self.empty: set[str] = set()

    def fail(self, call: str, *errors: BaseException) -> None:
        self._failures[call].extend(errors)

    def count(self, call: str) -> int:
        return sum(1 for name, _ in self.calls if name == call)

    def _enter(self, call: str, params: dict[str, Any]) -> None:
        self.calls.append((call, params))
        if self._failures[call]:
            raise self._failures[call].popleft()


def _between(frame: pd.DataFrame, column: str, start: str | None, end: str | None) -> pd.DataFrame:
    values = frame[column].astype(str).str.replace("-", "")
    mask = pd.Series(True, index=frame.index)
    if start:
        mask &= values >= start.replace("-", "")
    if end:
        mask &= values <= end.replace("-", "")
    return frame[mask]


class FakeTushareApi(Scripted):
    """`ts.pro_api(token)`'s DataApi: any method name answers `tushare_<name>.json`, filtered."""

    def __getattr__(self, name: str) -> Callable[..., pd.DataFrame]:
        if name.startswith("_"):
            raise AttributeError(name)
        return partial(self._query, name)

    def _query(self, name: str, **params: Any) -> pd.DataFrame:
        self._enter(name, params)
        frame = load_frame(f"tushare_{name}")
        if name in self.empty:
            return frame.iloc[0:0]
        if params.get("ts_code") and "*" not in params["ts_code"] and "ts_code" in frame:
            frame = frame[frame["ts_code"] == params["ts_code"]]
        if params.get("exchange") and "exchange" in frame:
            frame = frame[frame["exchange"] == params["exchange"]]
        if params.get("trade_date") and "trade_date" in frame:
            frame = frame[frame["trade_date"] == params["trade_date"]]
        date_column = "cal_date" if "cal_date" in frame else "trade_date"
        if date_column in frame:
            frame = _between(frame, date_column, params.get("start_date"), params.get("end_date"))
        return frame.reset_index(drop=True)


_AKSHARE_FILTERS: dict[str, Callable[[pd.DataFrame, dict[str, Any]], pd.DataFrame]] = {
    "stock_individual_info_em": lambda f, p: f[f["symbol"] == p["symbol"]].drop(columns="symbol"),
    "stock_news_em": lambda f, p: f[f["关键词"] == p["symbol"]],
    "stock_zh_a_hist": lambda f, p: _between(
        f[f["股票代码"] == p["symbol"]], "日期", p.get("start_date"), p.get("end_date")
    ),
    "stock_zh_a_daily": lambda f, p: f[f["symbol"] == p["symbol"]].drop(columns="symbol"),
    "stock_financial_abstract": lambda f, p: f if p["symbol"] == "600000" else f.iloc[0:0],
    "stock_financial_report_sina": lambda f, p: (
        f[f["symbol"] == p["symbol"]] if p["stock"] == "sh600000" else f.iloc[0:0]
    ).drop(columns="symbol"),
}


class FakeAkshare(Scripted):
    """The `akshare` module: each function answers `akshare_<function>.json`, filtered by its arguments."""

    def __getattr__(self, name: str) -> Callable[..., pd.DataFrame]:
        if name.startswith("_"):
            raise AttributeError(name)
        if not (FIXTURES / f"akshare_{name}.json").is_file():
            raise AttributeError(f"module 'akshare' has no fixture for {name!r}")
        return partial(self._call, name)

    def _call(self, name: str, **params: Any) -> pd.DataFrame:
        self._enter(name, params)
        frame = load_frame(f"akshare_{name}")
        if name in self.empty:
            return frame.iloc[0:0]
        selector = _AKSHARE_FILTERS.get(name)
        return (selector(frame, params) if selector else frame).reset_index(drop=True)


class FakeResultSet:
    """Baostock's ResultData: `error_code`/`error_msg`, `fields`, `next()`, `get_row_data()`."""

    def __init__(self, fields: list[str], rows: list[list[str]], error_code: str = "0", error_msg: str = ""):
        self.fields = fields
        self.error_code = error_code
        self.error_msg = error_msg or ("success" if error_code == "0" else "error")
        self._rows = rows
        self._index = 0

    def next(self) -> bool:
        return self.error_code == "0" and self._index < len(self._rows)

    def get_row_data(self) -> list[str]:
        row = self._rows[self._index]
        self._index += 1
        return row


class FakeBaostock(Scripted):
    """The `baostock` module: login/logout and the three queries, with scriptable error codes."""

    def __init__(self) -> None:
        super().__init__()
        self.logged_in = False
        self.logins = 0
        self.logouts = 0
        self._codes: dict[str, deque[tuple[str, str]]] = defaultdict(deque)

    def fail_code(self, call: str, code: str, message: str) -> None:
        self._codes[call].append((code, message))

    def _result(self, call: str, params: dict[str, Any], rows: pd.DataFrame) -> FakeResultSet:
        self._enter(call, params)
        if self._codes[call]:
            code, message = self._codes[call].popleft()
            return FakeResultSet([], [], code, message)
        if call != "login" and not self.logged_in:
            return FakeResultSet([], [], "10001001", "用户未登录")
        return FakeResultSet(list(rows.columns), rows.astype(str).values.tolist())

    def login(self) -> FakeResultSet:
        result = self._result("login", {}, pd.DataFrame())
        self.logged_in = result.error_code == "0"
        self.logins += 1
        return result

    def logout(self) -> FakeResultSet:
        self.logouts += 1
        self.logged_in = False
        return FakeResultSet([], [])

    def query_stock_basic(self, code: str = "", code_name: str = "") -> FakeResultSet:
        frame = load_frame("baostock_query_stock_basic")
        return self._result("query_stock_basic", {}, frame)

    def query_history_k_data_plus(self, code: str, fields: str, **params: Any) -> FakeResultSet:
        frame = load_frame("baostock_query_history_k_data_plus")
        frame = _between(
            frame[frame["code"] == code], "date", params.get("start_date"), params.get("end_date")
        )
        return self._result("query_history_k_data_plus", {"code": code, **params}, frame[fields.split(",")])

    def query_adjust_factor(self, code: str, start_date: str = "", end_date: str = "") -> FakeResultSet:
        frame = load_frame("baostock_query_adjust_factor")
        frame = _between(frame[frame["code"] == code], "dividOperateDate", start_date, end_date)
        return self._result("query_adjust_factor", {"code": code, "start_date": start_date}, frame)

    def query_trade_dates(self, start_date: str, end_date: str) -> FakeResultSet:
        frame = _between(load_frame("baostock_query_trade_dates"), "calendar_date", start_date, end_date)
        return self._result("query_trade_dates", {"start_date": start_date}, frame)


def shanghai(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("Asia/Shanghai"))


TRADING_DAY = date(2024, 10, 11)


def payload(result: Any) -> dict[str, Any]:
    """A job's result as a dict: a `PartialResult`'s result with its reason under `partial_reason`."""
    if isinstance(result, PartialResult):
        return {**result.result, "partial_reason": result.reason}
    assert isinstance(result, dict)
    return result
