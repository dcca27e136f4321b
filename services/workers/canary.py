"""`pipeline_canary`: a job that proves the pipeline works without touching any data provider.

kwargs: `duration_s` (default 2) seconds spread over `steps` (default 4) progress reports, each also one line
of the run's log; `fail=true` makes it fail on purpose at the end; `partial=true` makes it end `partial` (it
says part of its work was left undone); `log_lines` (default 0) more lines logged at once at the start (the
benchmarks measure what logging costs with it); `trade_date` (YYYY-MM-DD) is echoed in the result, so a
backfill is provable without any provider. Used by operators, end-to-end tests and benchmarks.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date
from typing import Any

from domain.catalogue import CANARY_JOB_ID
from domain.catalogue import CANARY_NAME
from services.workers.job_api import JobContext
from services.workers.job_api import PartialResult

__all__ = ["CANARY_JOB_ID", "CANARY_NAME", "CanaryFailure", "pipeline_canary"]

logger = logging.getLogger(__name__)


class CanaryFailure(RuntimeError):
    """The failure a canary run asked for (`fail=true`)."""


def _number(kwargs: dict[str, Any], name: str, default: float, *, minimum: float) -> float:
    value = kwargs.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ValueError(f"pipeline_canary: {name} must be a number >= {minimum}, got {value!r}")
    return float(value)


def _switch(kwargs: dict[str, Any], name: str) -> bool:
    value = kwargs.get(name, False)
    if not isinstance(value, bool):
        raise ValueError(f"pipeline_canary: {name} must be true or false, got {value!r}")
    return value


def _day(kwargs: dict[str, Any]) -> str | None:
    value = kwargs.get("trade_date")
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat() if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        return None


async def pipeline_canary(context: JobContext) -> dict[str, Any] | PartialResult:
    """The pipeline canary job: runs `duration_s`, reports `steps` progress, ends as asked (kwargs)."""
    kwargs = context.kwargs
    duration_s = _number(kwargs, "duration_s", 2.0, minimum=0)
    steps = int(_number(kwargs, "steps", 4, minimum=1))
    fail, partial = _switch(kwargs, "fail"), _switch(kwargs, "partial")
    log_lines = int(_number(kwargs, "log_lines", 0, minimum=0))
    for line in range(1, log_lines + 1):
        logger.info("canary log line %d/%d", line, log_lines)
    pause = duration_s / steps
    for step in range(1, steps + 1):
        if pause > 0:
            await asyncio.sleep(pause)
        logger.info("canary step %d/%d", step, steps)
        await context.progress(
            100.0 * step / steps,
            f"canary step {step}/{steps}",
            current_item=f"step-{step}",
            total_items=steps,
            processed_items=step,
        )
    if fail:
        raise CanaryFailure(f"pipeline_canary failed on purpose after {steps} steps (fail=true)")
    done: dict[str, Any] = {"steps": steps, "duration_s": duration_s}
    trade_date = _day(kwargs)
    if kwargs.get("trade_date") is not None and trade_date is None:
        raise ValueError(f"pipeline_canary: trade_date must be YYYY-MM-DD, got {kwargs['trade_date']!r}")
    if trade_date is not None:
        done["trade_date"] = trade_date  # a backfill's day, echoed: the run proves which day it was given
    if partial:
        return PartialResult(done, "pipeline_canary: part of the work left undone on purpose (partial=true)")
    return done
