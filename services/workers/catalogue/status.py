"""The provider status checks.

`tushare_status_check`, `akshare_status_check`, `baostock_status_check`: is the provider reachable (one
cheap real call), and how many rows of that source `stock_basic_info` and `market_quotes` hold, and how
fresh they are. An unreachable provider fails the run (its message carries the counts): the execution's
status then says the truth, and an operator can alert on it.
"""

from __future__ import annotations

from typing import Any

from infrastructure.market.port import MARKET_QUOTES
from infrastructure.market.port import STOCK_BASIC_INFO
from services.workers.catalogue.basics import require_tushare
from services.workers.catalogue.environment import JobEnvironment
from services.workers.catalogue.loop import JobResult
from services.workers.catalogue.loop import SyncFailed
from services.workers.job_api import JobContext
from services.workers.providers.errors import ProviderError
from services.workers.providers.ports import ReachabilityProbe


async def _collections(environment: JobEnvironment, source: str) -> dict[str, Any]:
    store = await environment.market()
    now = environment.clock.now()
    summary: dict[str, Any] = {}
    for collection, equals in (
        (STOCK_BASIC_INFO, {"source": source}),
        (MARKET_QUOTES, {}),
    ):
        latest = await store.latest_update(collection)
        summary[collection] = {
            "count": await store.count(collection, **equals),
            "source_filter": equals.get("source"),
            "latest_update": latest.isoformat() if latest else None,
            "age_seconds": round((now - latest).total_seconds()) if latest else None,
        }
    return summary


async def _check(
    environment: JobEnvironment, context: JobContext, probe: ReachabilityProbe
) -> dict[str, Any]:
    await context.progress(10.0, f"probing {probe.name}")
    started = environment.clock.monotonic()
    error: ProviderError | None = None
    detail = ""
    try:
        async with probe:
            detail = await probe.probe()
    except ProviderError as failure:
        error = failure
    latency_ms = round((environment.clock.monotonic() - started) * 1000)
    await context.progress(60.0, f"counting {probe.name} data")
    collections = await _collections(environment, probe.name)
    counts = ", ".join(f"{name}={value['count']}" for name, value in collections.items())
    if error is not None:
        raise SyncFailed(f"{probe.name} unreachable: {error} ({counts})") from error
    await context.progress(100.0, f"{probe.name} reachable ({counts})")
    return {
        "status": "success",
        "job_id": context.job_id,
        "source": probe.name,
        "reachable": True,
        "detail": detail,
        "latency_ms": latency_ms,
        "collections": collections,
    }


async def tushare_status_check(environment: JobEnvironment, context: JobContext) -> JobResult:
    """The `tushare_status_check` job: whether tushare answers, and its data's counts and freshness."""
    return await _check(environment, context, require_tushare(environment))


async def akshare_status_check(environment: JobEnvironment, context: JobContext) -> JobResult:
    """The `akshare_status_check` job: whether akshare answers, and its data's counts and freshness."""
    return await _check(environment, context, environment.akshare)


async def baostock_status_check(environment: JobEnvironment, context: JobContext) -> JobResult:
    """The `baostock_status_check` job: whether baostock answers, and its data's counts and freshness."""
    return await _check(environment, context, environment.baostock)
