"""Pure pieces: value normalisation, the rate limiter, retry backoff, error classification, the calendar."""

from __future__ import annotations

from datetime import date

import pytest
import requests

from services.workers.catalogue.calendar import WEEKDAY_FALLBACK
from services.workers.catalogue.calendar import TradingCalendar
from services.workers.providers import akshare_provider
from services.workers.providers import baostock_provider
from services.workers.providers import tushare_provider
from services.workers.providers.errors import ProviderError
from services.workers.providers.errors import RateLimited
from services.workers.providers.errors import TransientNetworkError
from services.workers.providers.normalise import BadValue
from services.workers.providers.normalise import code_of
from services.workers.providers.normalise import exchange_of
from services.workers.providers.normalise import iso_date
from services.workers.providers.normalise import market_of
from services.workers.providers.normalise import number
from services.workers.providers.pacing import ProviderCaller
from services.workers.providers.pacing import RateLimiter
from services.workers.providers.pacing import RetryPolicy

from .fakes import FakeClock
from .fakes import shanghai


@pytest.mark.parametrize(
    ("raw", "code"),
    [("600000", "600000"), ("600000.SH", "600000"), ("sh600000", "600000"), ("sz.000001", "000001"),
     (1, "000001"), ("bj830799", "830799"), (" 300750 ", "300750")],
)  # fmt: skip
def test_codes(raw: object, code: str) -> None:
    assert code_of(raw) == code


@pytest.mark.parametrize("raw", ["12345", "123456", "abc", None, "", "600000.HK", 10_000_000])
def test_unknown_codes(raw: object) -> None:
    with pytest.raises(BadValue, match="unknown code"):
        code_of(raw)


def test_numbers_and_dates() -> None:
    assert number("1,234.5", "x") == 1234.5 and number("12%", "x") == 12.0
    assert number(None, "x") is None and number("--", "x") is None and number(float("nan"), "x") is None
    with pytest.raises(BadValue, match="non-numeric close"):
        number("abc", "close")
    with pytest.raises(BadValue, match="non-numeric close"):
        number(float("inf"), "close")
    assert iso_date("20241008") == iso_date("2024-10-08") == iso_date(date(2024, 10, 8)) == "2024-10-08"
    assert [market_of(c) for c in ("688981", "300750", "830799", "600000")] == [
        "科创板",
        "创业板",
        "北交所",
        "主板",
    ]


async def test_rate_limiter_sliding_window() -> None:
    clock = FakeClock(shanghai(2024, 10, 11))
    limiter = RateLimiter.per_minute(400, clock, safety_margin=0.1)
    assert limiter.max_calls == 360
    for _ in range(360):
        await limiter.acquire()
    assert clock.sleeps == []
    await limiter.acquire()
    assert clock.sleeps == [60.0]


def test_backoff_is_exponential_with_bounded_jitter() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=0.25)
    assert [policy.delay(attempt, 0.0) for attempt in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]
    assert policy.delay(2, 0.999) == pytest.approx(2.0 * 1.24975)


async def test_quota_waits_are_bounded() -> None:
    clock = FakeClock(shanghai(2024, 10, 11))
    caller = ProviderCaller(
        "tushare", tushare_provider.classify, clock=clock, retry=RetryPolicy(max_rate_limit_waits=2)
    )

    def always_limited() -> None:
        raise Exception("抱歉，您每分钟最多访问该接口200次")

    with pytest.raises(ProviderError, match="still rate-limited after 2 waits"):
        await caller.call("daily", always_limited)
    assert clock.sleeps == [60.0, 60.0]


def test_classification() -> None:
    assert isinstance(tushare_provider.classify("x", Exception("每分钟最多访问该接口")), RateLimited)
    assert isinstance(tushare_provider.classify("x", requests.ConnectionError("down")), TransientNetworkError)
    token = tushare_provider.classify("x", Exception("您的token不对，请确认。"))
    assert type(token) is ProviderError and "token" in str(token)
    assert isinstance(akshare_provider.classify("x", requests.Timeout("slow")), TransientNetworkError)
    assert type(akshare_provider.classify("x", KeyError("data"))) is ProviderError
    forbidden = requests.Response()
    forbidden.status_code = 404
    assert (
        type(akshare_provider.classify("x", requests.HTTPError("404", response=forbidden))) is ProviderError
    )
    with pytest.raises(TransientNetworkError, match="10002007"):
        baostock_provider.checked(
            "login", type("R", (), {"error_code": "10002007", "error_msg": "网络接收错误"})()
        )


class _Calendar:
    def __init__(self, name: str, days: set[date] | Exception) -> None:
        self.name, self.days, self.calls = name, days, 0

    async def __aenter__(self) -> _Calendar:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None

    async def trade_dates(self, start: date, end: date) -> set[date]:
        self.calls += 1
        if isinstance(self.days, Exception):
            raise self.days
        return {day for day in self.days if start <= day <= end}


async def test_calendar_falls_back_and_remembers_failures() -> None:
    clock = FakeClock(shanghai(2024, 10, 11))
    broken = _Calendar("tushare", TransientNetworkError("tushare", "trade_cal", "down"))
    working = _Calendar("akshare", {date(2024, 10, 11)})
    calendar = TradingCalendar([broken, working], clock=clock, zone=shanghai(2024, 1, 1).tzinfo)  # type: ignore[arg-type]

    assert (await calendar.trading_day(date(2024, 10, 11))).calendar == "akshare"
    assert not (await calendar.trading_day(date(2024, 10, 10))).is_trading_day
    await calendar.trading_day(date(2025, 1, 2))  # another year: the broken source is not asked again yet
    assert broken.calls == 1


async def test_calendar_without_any_source_assumes_weekdays() -> None:
    clock = FakeClock(shanghai(2024, 10, 11))
    calendar = TradingCalendar([], clock=clock, zone=shanghai(2024, 1, 1).tzinfo)  # type: ignore[arg-type]
    status = await calendar.session_status(shanghai(2024, 10, 2, 10, 0))
    assert status.open and status.calendar == WEEKDAY_FALLBACK


@pytest.mark.parametrize(
    ("code", "exchange", "board"),
    [
        ("600000", "SH", "主板"), ("605599", "SH", "主板"), ("688981", "SH", "科创板"),
        ("689009", "SH", "科创板"), ("000001", "SZ", "主板"), ("002594", "SZ", "主板"),
        ("300750", "SZ", "创业板"), ("301236", "SZ", "创业板"), ("302132", "SZ", "创业板"),
        ("920118", "BJ", "北交所"), ("430047", "BJ", "北交所"), ("830799", "BJ", "北交所"),
        ("873527", "BJ", "北交所"), ("889999", "BJ", "北交所"), ("900901", "SH", "B股"),
        ("200002", "SZ", "B股"),
    ],
)  # fmt: skip
def test_board_table(code: str, exchange: str, board: str) -> None:
    assert (exchange_of(code), market_of(code)) == (exchange, board)


@pytest.mark.parametrize("code", ["123456", "510300", "399001", "12345"])
def test_codes_no_a_share_exchange_uses(code: str) -> None:
    assert exchange_of(code) is None
