"""Which symbols a per-symbol job works on, from the run's kwargs, the store or the provider.

kwargs understood by every per-symbol job: `symbols` (a list of codes, e.g. `["600000", "000001.SZ"]`)
and `limit` (the first N symbols only).
"""

from __future__ import annotations

from typing import Any

from services.workers.catalogue.environment import JobEnvironment
from services.workers.job_api import JobContext
from services.workers.providers.normalise import BadValue
from services.workers.providers.normalise import code_of
from services.workers.providers.ports import StockListProvider


def _limit(kwargs: dict[str, Any]) -> int | None:
    limit = kwargs.get("limit")
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive integer, got {limit!r}")
    return limit


def requested_symbols(kwargs: dict[str, Any]) -> list[str] | None:
    """The codes the kwargs' `symbols` names, normalised and unique; None when not given.

    Raises ValueError for an unknown code or a value that is not a list or text.
    """
    raw = kwargs.get("symbols")
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = [part for part in raw.replace(",", " ").split() if part]
    if not isinstance(raw, list):
        raise ValueError(f"symbols must be a list of stock codes, got {raw!r}")
    try:
        return list(dict.fromkeys(code_of(item) for item in raw))
    except BadValue:
        raise ValueError(f"symbols contains an unknown stock code: {raw!r}") from None


async def symbols_for(
    environment: JobEnvironment,
    context: JobContext,
    provider: StockListProvider | None = None,
    *,
    default: list[str] | None = None,
) -> list[str]:
    """The kwargs' `symbols`, else `default`, else the codes in `stock_basic_info`, else the provider's."""
    symbols = requested_symbols(context.kwargs) or default
    if not symbols:
        symbols = await (await environment.market()).codes()
    if not symbols and provider is not None:
        await context.progress(0.0, f"no stored stock list: asking {provider.name}")
        symbols = [str(row["code"]) for row in (await provider.stock_list()).rows]
    limit = _limit(context.kwargs)
    return symbols[:limit] if limit else symbols
