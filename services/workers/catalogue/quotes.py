"""Market snapshots into `market_quotes` (key {code}), during trading sessions only unless `force`.

- `tushare_quotes_sync`: the whole market in one `rt_k` call;
- `akshare_quotes_sync`: sina's `stock_zh_a_spot`, eastmoney's `stock_zh_a_spot_em` as fallback;
- `quotes_ingestion_service`: rotates tushare `rt_k` → akshare eastmoney → akshare sina, one source per
  run, starting after the one used last; a failing source hands over to the next;
- `baostock_daily_quotes_sync`: after baostock has published the day (about 17:30), the bar of the
  current trade date of each SH/SZ stock (trading days only); a stock whose bar is not there yet is
  counted, and the run ends `partial`.

One row per stock is one source at one time: each write replaces the whole row (`replace`), only over a
row quoted at the same or an earlier `quote_at`; a stale snapshot is counted `stale`, never written. A
stock without a price (0, `-`, missing) is written as `suspended` with no price fields. Rows breaking an
invariant (`invariants`) are refused and the run ends `partial`.
"""

from __future__ import annotations

from collections.abc import Awaitable
from collections.abc import Callable
from datetime import time
from datetime import timedelta
from typing import Any

from infrastructure.market.port import MARKET_QUOTES
from services.workers.catalogue.basics import require_tushare
from services.workers.catalogue.environment import JobEnvironment
from services.workers.catalogue.invariants import checked
from services.workers.catalogue.loop import JobResult
from services.workers.catalogue.loop import SyncFailed
from services.workers.catalogue.loop import SyncTally
from services.workers.catalogue.loop import for_each_symbol
from services.workers.catalogue.loop import skipped_result
from services.workers.catalogue.loop import write_rows
from services.workers.catalogue.selection import symbols_for
from services.workers.job_api import JobContext
from services.workers.providers.errors import ProviderError
from services.workers.providers.ports import ParsedRows

Fetch = Callable[[], Awaitable[ParsedRows]]
OPENING = time(9, 15)  # the call auction: from here on a snapshot is of today


async def outside_session(environment: JobEnvironment, context: JobContext) -> str | None:
    """Why this run should not fetch quotes now, or None when it should (a session, or `force`)."""
    if context.force:
        return None
    status = await environment.calendar.session_status(environment.clock.now())
    return None if status.open else status.reason


async def _last_session(environment: JobEnvironment) -> str | None:
    """The last trading day when a snapshot fetched now is not today's; None when it is.

    The trade date a snapshot fetched now belongs to when it is not today's (a forced run on a holiday
    or before the open): the last trading day; None when it is today's.
    """
    local = environment.clock.now().astimezone(environment.settings.zone)
    if (await environment.calendar.trading_day(local.date())).is_trading_day and local.time() >= OPENING:
        return None
    return (await environment.calendar.latest_trading_day(local.date() - timedelta(days=1))).isoformat()


async def _write_snapshot(
    environment: JobEnvironment, context: JobContext, source: str, parsed: ParsedRows, **notes: Any
) -> JobResult:
    tally = SyncTally(context.job_id, source, notes=dict(notes))
    tally.total = tally.processed = len(parsed.rows) + parsed.skipped
    tally.add_parsed(parsed)
    if day := await _last_session(environment):  # quoted at that day's close, not now
        parsed.rows = [{**row, "trade_date": day, "quote_at": f"{day} 15:00:00"} for row in parsed.rows]
    good = checked(parsed.rows)
    tally.refuse(good.refused)
    now = environment.clock.now()
    rows = [{**row, "updated_at": now} for row in good.rows]
    tally.notes["suspended"] = sum(1 for row in rows if row.get("suspended"))
    await write_rows(
        context, await environment.market(), MARKET_QUOTES, rows, tally,
        batch_size=environment.settings.write_batch_size, percent=(20.0, 100.0), newer_than="quote_at",
    )  # fmt: skip
    return tally.finish(environment.settings.failure_ratio)


async def _first_answer(
    context: JobContext, sources: list[tuple[str, Fetch]]
) -> tuple[str, ParsedRows, list[dict[str, str]]]:
    attempts: list[dict[str, str]] = []
    for source, fetch in sources:
        await context.progress(5.0, f"fetching the market snapshot from {source}")
        try:
            parsed = await fetch()
        except ProviderError as error:
            attempts.append({"source": source, "error": str(error)})
            continue
        if parsed.rows:
            return source, parsed, attempts
        attempts.append({"source": source, "error": "empty snapshot"})
    reasons = "; ".join(f"{a['source']}: {a['error']}" for a in attempts)
    raise SyncFailed(f"{context.job_id}: no quote source answered ({reasons})")


async def tushare_quotes_sync(environment: JobEnvironment, context: JobContext) -> JobResult:
    """The `tushare_quotes_sync` job: a whole-market snapshot into `market_quotes`, in session only."""
    tushare = require_tushare(environment)
    if reason := await outside_session(environment, context):
        return skipped_result(context.job_id, "tushare", reason)
    await context.progress(5.0, "fetching the market snapshot from tushare rt_k")
    return await _write_snapshot(environment, context, "tushare", await tushare.realtime_quotes())


async def akshare_quotes_sync(environment: JobEnvironment, context: JobContext) -> JobResult:
    """The `akshare_quotes_sync` job: a whole-market snapshot from akshare's first feed that answers."""
    if reason := await outside_session(environment, context):
        return skipped_result(context.job_id, "akshare", reason)
    akshare = environment.akshare
    source, parsed, attempts = await _first_answer(
        context,
        [
            ("akshare_sina", lambda: akshare.realtime_quotes("sina")),
            ("akshare_eastmoney", lambda: akshare.realtime_quotes("eastmoney")),
        ],
    )
    return await _write_snapshot(environment, context, source, parsed, fallbacks=attempts)


async def quotes_ingestion_service(environment: JobEnvironment, context: JobContext) -> JobResult:
    """A whole-market snapshot from the first provider of the rotation that answers, in session only."""
    if reason := await outside_session(environment, context):
        return skipped_result(context.job_id, "rotation", reason)
    akshare, tushare = environment.akshare, environment.tushare
    rotation: list[tuple[str, Fetch]] = []
    if tushare is not None:
        rotation.append(("tushare", tushare.realtime_quotes))
    rotation.append(("akshare_eastmoney", lambda: akshare.realtime_quotes("eastmoney")))
    rotation.append(("akshare_sina", lambda: akshare.realtime_quotes("sina")))
    start = environment.quote_rotation % len(rotation)
    ordered = rotation[start:] + rotation[:start]
    source, parsed, attempts = await _first_answer(context, ordered)
    used = next(index for index, (name, _) in enumerate(rotation) if name == source)
    environment.quote_rotation = used + 1
    return await _write_snapshot(environment, context, source, parsed, fallbacks=attempts)


async def baostock_daily_quotes_sync(environment: JobEnvironment, context: JobContext) -> JobResult:
    """The `baostock_daily_quotes_sync` job: today's bars of each stock, on trading days."""
    today = environment.today()
    trading = await environment.calendar.trading_day(today)
    if not trading.is_trading_day and not context.force:
        reason = f"{today} is not a trading day (calendar: {trading.calendar})"
        return skipped_result(context.job_id, "baostock", reason)
    tally = SyncTally(context.job_id, "baostock")
    store = await environment.market()
    async with environment.baostock as baostock:
        codes = await symbols_for(environment, context, baostock)
        served = [code for code in codes if baostock.serves(code)]
        tally.notes.update(not_served=len(codes) - len(served), suspended=0)

        async def latest(code: str) -> None:
            parsed = await baostock.latest_quote(code, today)
            tally.add_parsed(parsed)
            tally.notes["suspended"] += parsed.suspended
            good = checked(parsed.rows)
            tally.refuse(good.refused)
            if not parsed.rows and not parsed.suspended and not parsed.skipped:
                tally.missing(code)  # not published yet, or the stock is unknown to baostock
            now = environment.clock.now()
            rows = [{**row, "updated_at": now} for row in good.rows]
            tally.add_written(await store.replace(MARKET_QUOTES, rows, newer_than="quote_at"))

        await for_each_symbol(
            context, served, latest, tally, label=f"baostock daily bar of {today}",
            clock=environment.clock, options=environment.loop_options(),
        )  # fmt: skip
    return tally.finish(environment.settings.failure_ratio)
