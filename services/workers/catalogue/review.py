"""`market_daily_review`: the day's market review from the stored bars and basic info; no network.

kwargs: `trade_date` (`YYYY-MM-DD`; default: the latest day with stored bars) or a range `start_date` ..
`end_date` (a backfill, at most `MAX_RANGE_DAYS`). Each reviewed day is written to `market_daily_review`
(keyed by `trade_date`, written whole: a run again gives the same document). The run's result is each day's
summary. A weekend, or a weekday the committed SSE/SZSE calendar (`domain/calendars`) knows as a holiday, is
not a trading day (said in the result, never reviewed); any other day with no stored bars ends the run
`partial` (the syncs have not run, or the calendar does not know its year); a date in the future fails the
run with that reason.

Bars: per stock the first source that has one that day, in `SOURCE_PREFERENCE` order; the traded prices
(`raw_close`, `raw_pre_close`: stored bars are forward-adjusted) decide changes and limits. Board: by the
code (`providers.boards`); ST: by the stock's name in `stock_basic_info` (today's name: a stock that left
or entered ST since is judged by its name now). A new listing's trading-day number counts its stored bars
from `list_date`.
"""

from __future__ import annotations

import logging
from datetime import date
from datetime import timedelta
from typing import Any

from domain.market_review import StockDay
from domain.market_review import price
from domain.market_review import review
from domain.market_review import summary
from domain.trade_calendar import is_trading_day
from infrastructure.market.port import MARKET_DAILY_REVIEW
from infrastructure.market.port import STOCK_BASIC_INFO
from infrastructure.market.port import STOCK_DAILY_QUOTES
from infrastructure.market.port import Document
from infrastructure.market.port import MarketStore
from infrastructure.trade_calendar_seed import seed_calendar
from services.workers.catalogue.day_kwargs import day_kwarg
from services.workers.catalogue.environment import JobEnvironment
from services.workers.catalogue.loop import JobResult
from services.workers.job_api import JobContext
from services.workers.job_api import PartialResult
from services.workers.providers.boards import rule_of

logger = logging.getLogger(__name__)

SOURCE_PREFERENCE = ("tushare", "akshare", "baostock")
MAX_RANGE_DAYS = 366
NEW_LISTING_WINDOW = timedelta(days=31)  # only stocks listed this recently can be in their first days


def _date(kwargs: dict[str, Any], name: str) -> date | None:
    return day_kwarg(kwargs, name, job="market_daily_review")


async def _days(store: MarketStore, kwargs: dict[str, Any], today: date) -> list[date]:
    single, start, end = _date(kwargs, "trade_date"), _date(kwargs, "start_date"), _date(kwargs, "end_date")
    if single is not None and (start or end):
        raise ValueError("market_daily_review: give trade_date or start_date/end_date, not both")
    if start or end:
        first, last = start or end, end or today
        assert first is not None
        if first > last:
            raise ValueError(f"market_daily_review: start_date {first} is after end_date {last}")
        if (last - first).days >= MAX_RANGE_DAYS:
            raise ValueError(f"market_daily_review: a range covers at most {MAX_RANGE_DAYS} days")
        days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    elif single is not None:
        days = [single]
    else:
        latest = await _latest_day(store)
        if latest is None:
            return []
        days = [latest]
    future = [day for day in days if day > today]
    if future:
        raise ValueError(f"market_daily_review: {future[0]} is in the future (today is {today})")
    return days


def _may_trade(day: date) -> bool:
    """False for a weekend or a day the committed calendar knows as closed; True when its year is unknown."""
    return day.weekday() < 5 and is_trading_day(seed_calendar(), day) is not False


async def _latest_day(store: MarketStore) -> date | None:
    latest = [
        max(days.values()) for source in SOURCE_PREFERENCE if (days := await store.last_trade_dates(source))
    ]
    return date.fromisoformat(max(latest)) if latest else None


def _preferred(documents: list[Document], key: str) -> dict[str, Document]:
    """One document per `key` value: the first source of `SOURCE_PREFERENCE` that has one."""
    rank = {source: index for index, source in enumerate(SOURCE_PREFERENCE)}
    chosen: dict[str, Document] = {}
    for document in sorted(documents, key=lambda doc: rank.get(str(doc.get("data_source")), len(rank))):
        chosen.setdefault(str(document[key]), document)
    return chosen


async def _trading_day_number(store: MarketStore, bar: Document, listed: str | None, day: date) -> int | None:
    if listed is None or date.fromisoformat(listed) < day - NEW_LISTING_WINDOW:
        return None
    own = await store.find(STOCK_DAILY_QUOTES, {"symbol": bar["symbol"], "data_source": bar["data_source"]})
    return sum(1 for other in own if listed <= str(other["trade_date"]) <= day.isoformat())


async def _stock_days(store: MarketStore, day: date, basics: dict[str, Document]) -> list[StockDay]:
    bars = _preferred(
        await store.find(STOCK_DAILY_QUOTES, {"trade_date": day.isoformat(), "period": "daily"}), "symbol"
    )
    stocks = []
    for code, bar in sorted(bars.items()):
        info = basics.get(code, {})
        close, previous = (
            bar.get("raw_close", bar.get("close")),
            bar.get("raw_pre_close", bar.get("pre_close")),
        )
        if close is None:
            continue
        rule = rule_of(code)
        stocks.append(
            StockDay(
                code=code,
                board=rule.board if rule else None,
                name=info.get("name"),
                industry=info.get("industry"),
                close=price(close),
                previous_close=None if previous is None else price(previous),
                amount=float(bar.get("amount") or 0.0),
                trading_day_number=await _trading_day_number(store, bar, info.get("list_date"), day),
            )
        )
    return stocks


async def market_daily_review(environment: JobEnvironment, context: JobContext) -> JobResult:
    """The `market_daily_review` job: a day's (or a span's) market review from the stored bars."""
    await context.progress(0.0, "reading the stored daily bars")
    store = await environment.market()
    today = environment.today()
    days = await _days(store, context.kwargs, today)
    if not days:
        return PartialResult(
            {"status": "empty", "reviews": []}, "market_daily_review: no daily bars stored yet"
        )
    basics = _preferred(await store.find(STOCK_BASIC_INFO), "code")
    reviews, closed, without_bars = [], [], []
    for index, day in enumerate(days, 1):
        if not _may_trade(day):
            closed.append(day.isoformat())
            continue
        stocks = await _stock_days(store, day, basics)
        if not stocks:
            without_bars.append(day.isoformat())
            logger.warning("market_daily_review: no daily bars stored for %s", day)
            continue
        document = review(day, stocks)
        await store.replace(MARKET_DAILY_REVIEW, [document])
        reviews.append(summary(document))
        logger.info(
            "market_daily_review %s: %d stocks, %d limit-up", day, len(stocks), len(document["limit_up"])
        )
        await context.progress(100.0 * index / len(days), f"reviewed {day}", current_item=day.isoformat())
    result: dict[str, Any] = {"status": "partial" if without_bars else "success", "reviews": reviews}
    if closed:
        result["not_trading_days"] = closed
    if without_bars:
        result["without_bars"] = without_bars
        return PartialResult(
            result, f"market_daily_review: no stored daily bars for {', '.join(without_bars)}"
        )
    return result
