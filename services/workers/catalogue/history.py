"""Daily bars into `stock_daily_quotes`.

Unique on {symbol, trade_date, data_source, period}; per symbol, on one forward-adjusted basis per symbol and
source (`adjusted`).

- `tushare_historical_sync` (`daily` + `adj_factor`) and `akshare_historical_sync` (eastmoney's unadjusted
  `stock_zh_a_hist` + sina's factor table) are incremental: each symbol starts the day after its last stored
  bar of that source, or `history_start_days` back for a symbol never synced;
- `baostock_historical_sync` (`query_history_k_data_plus`, unadjusted, + `query_adjust_factor`) re-reads
  the last `baostock_history_days` days; it is not asked for Beijing stocks (it has none).

Every bar is checked (`invariants`) on its traded prices before it is written; a refused bar is counted and
the run ends `partial`. A symbol with bars stored before they carried a factor is re-read from its first
such bar, and those the provider no longer sends are removed, so no series keeps rows of no basis.

kwargs: `symbols`, `limit` (see `selection`), `start_date` (`YYYY-MM-DD`: re-read from that day on) and
`end_date` (with `start_date`: only up to that day, e.g. a backfill's one day).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from typing import Any
from typing import Protocol

from infrastructure.market.port import KEY_FIELDS
from infrastructure.market.port import STOCK_DAILY_QUOTES
from infrastructure.market.port import MarketStore
from infrastructure.market.port import SeriesState
from infrastructure.market.port import WriteResult
from services.workers.catalogue.adjusted import Basis
from services.workers.catalogue.adjusted import basis_of
from services.workers.catalogue.adjusted import merged_series
from services.workers.catalogue.adjusted import on_basis
from services.workers.catalogue.basics import require_tushare
from services.workers.catalogue.day_kwargs import day_kwarg
from services.workers.catalogue.environment import JobEnvironment
from services.workers.catalogue.invariants import checked
from services.workers.catalogue.loop import JobResult
from services.workers.catalogue.loop import SyncTally
from services.workers.catalogue.loop import for_each_symbol
from services.workers.catalogue.selection import symbols_for
from services.workers.job_api import JobContext
from services.workers.providers.ports import DailyBarsProvider
from services.workers.providers.ports import Row
from services.workers.providers.ports import StockListProvider


def _end_of(kwargs: dict[str, Any], latest: date) -> date:
    """The last day a run reads: the latest trading day, or an earlier `end_date` (a backfill's day)."""
    end = day_kwarg(kwargs, "end_date")
    return latest if end is None else min(end, latest)


class _HistoryProvider(DailyBarsProvider, StockListProvider, Protocol):
    pass


@dataclass
class _Window:
    start: date
    end: date


def _window(
    state: SeriesState | None, forced: date | None, first_start: date, end: date, rolling: bool
) -> _Window:
    if forced is not None:
        start = forced
    elif state is not None and not rolling:
        start = date.fromisoformat(state.last_trade_date) + timedelta(days=1)
    else:
        start = first_start
    if state is not None and state.legacy_from is not None:  # re-read what was stored with no basis
        start = min(start, date.fromisoformat(state.legacy_from))
    return _Window(start, end)


async def _store_symbol(
    store: MarketStore, source: str, code: str, bars: list[Row], state: SeriesState | None, now: Any
) -> tuple[WriteResult, int]:
    """Write the new bars and rebase the stored ones when the basis moved.

    Answers the write and how many stored bars of no basis were removed.
    """
    stored: list[Row] = []
    rebase = state is None or state.legacy_from is not None or _moved(state, bars)
    if state is not None and rebase:
        stored = await store.find(
            STOCK_DAILY_QUOTES, {"symbol": code, "data_source": source, "period": "daily"}
        )
    fetched = {str(bar["trade_date"]) for bar in bars}
    legacy = [row for row in stored if "adj_factor" not in row and str(row["trade_date"]) not in fetched]
    series = merged_series([row for row in stored if "adj_factor" in row], bars)
    old = (
        Basis(state.basis_factor, state.basis_date)
        if state and state.basis_factor and state.basis_date
        else None
    )
    basis = old if old is not None and not rebase else basis_of(series, old)
    keep = fetched if not rebase else {str(bar["trade_date"]) for bar in series}
    rows = [{**on_basis(bar, basis), "updated_at": now} for bar in series if str(bar["trade_date"]) in keep]
    for row in legacy:
        await store.delete(STOCK_DAILY_QUOTES, {key: row[key] for key in KEY_FIELDS[STOCK_DAILY_QUOTES]})
    return await store.replace(STOCK_DAILY_QUOTES, rows), len(legacy)


def _moved(state: SeriesState, bars: list[Row]) -> bool:
    latest = max(bars, key=lambda bar: str(bar["trade_date"]))
    if str(latest["trade_date"]) < state.last_trade_date:
        return False  # an older window re-read: the newest stored bar keeps the basis
    return state.basis_factor is None or abs(float(latest["adj_factor"]) - state.basis_factor) > 1e-12


@dataclass
class _HistoryRun:
    """One run of a history job: per symbol, fetch its window, check, store on one basis; count."""

    environment: JobEnvironment
    provider: _HistoryProvider
    store: MarketStore
    tally: SyncTally
    states: dict[str, SeriesState]
    end: date
    first_start: date
    forced_start: date | None
    rolling: bool
    counts: Counter[str]

    async def sync(self, code: str) -> None:
        state = self.states.get(code)
        window = _window(state, self.forced_start, self.first_start, self.end, self.rolling)
        if window.start > self.end:
            self.counts["up_to_date"] += 1
            return
        parsed = await self.provider.daily_bars(code, window.start, window.end)
        self.tally.add_parsed(parsed)
        self.counts["suspended_days"] += parsed.suspended
        good = checked(parsed.rows)
        self.tally.refuse(good.refused)
        if not good.rows:
            self.counts["no_bars"] += 1
            return
        now = self.environment.clock.now()
        written, removed = await _store_symbol(self.store, self.provider.name, code, good.rows, state, now)
        self.counts["legacy_removed"] += removed
        self.tally.add_written(written)

    def finish(self, served: int) -> JobResult:
        counts = self.counts
        if served and counts["no_bars"] == served - counts["up_to_date"] > 0:
            self.tally.missing(f"every symbol due ({counts['no_bars']}) answered no bars up to {self.end}")
        names = ("up_to_date", "no_bars", "suspended_days", "not_served", "legacy_removed")
        self.tally.notes.update({name: counts[name] for name in names}, end_date=self.end.isoformat())
        return self.tally.finish(self.environment.settings.failure_ratio)


async def _sync_history(
    environment: JobEnvironment,
    context: JobContext,
    provider: _HistoryProvider,
    *,
    window_days: int | None,
    pause_s: float = 0.0,
) -> JobResult:
    """Per-symbol bars; `window_days` None means incremental from the last stored trade date."""
    store = await environment.market()
    end = _end_of(context.kwargs, await environment.calendar.latest_trading_day(environment.today()))
    run = _HistoryRun(
        environment, provider, store, SyncTally(context.job_id, provider.name),
        states=await store.series_states(provider.name), end=end,
        first_start=end - timedelta(days=window_days or environment.settings.history_start_days),
        forced_start=day_kwarg(context.kwargs, "start_date"), rolling=window_days is not None,
        counts=Counter(),
    )  # fmt: skip
    async with provider:
        codes = await symbols_for(environment, context, provider)
        served = [code for code in codes if provider.serves(code)]
        run.counts["not_served"] = len(codes) - len(served)
        await for_each_symbol(
            context, served, run.sync, run.tally, label=f"{provider.name} daily bars to {end}",
            clock=environment.clock, options=environment.loop_options(pause_s=pause_s),
        )  # fmt: skip
    return run.finish(len(served))


async def tushare_historical_sync(environment: JobEnvironment, context: JobContext) -> JobResult:
    """The `tushare_historical_sync` job: each stock's daily bars since its last stored one."""
    return await _sync_history(environment, context, require_tushare(environment), window_days=None)


async def akshare_historical_sync(environment: JobEnvironment, context: JobContext) -> JobResult:
    """The `akshare_historical_sync` job: each stock's daily bars since its last stored one."""
    pause = environment.settings.akshare_batch_pause_s
    return await _sync_history(environment, context, environment.akshare, window_days=None, pause_s=pause)


async def baostock_historical_sync(environment: JobEnvironment, context: JobContext) -> JobResult:
    """The `baostock_historical_sync` job: each stock's daily bars over a recent window."""
    window = environment.settings.baostock_history_days
    return await _sync_history(environment, context, environment.baostock, window_days=window)
