"""The shapes of the backfill routes: the request, one backfill with its runs, a page of backfills."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic import ConfigDict
from pydantic import Field

from contracts.json_bounds import BoundedKwargs


class BackfillRequest(BaseModel):
    """A backfill asked for: one run per trading day of `[start_date, end_date]`."""

    model_config = ConfigDict(extra="forbid")

    start_date: str = Field(max_length=20, examples=["2024-01-02"], description="YYYY-MM-DD, first day")
    end_date: str = Field(max_length=20, examples=["2024-01-31"], description="YYYY-MM-DD, last day")
    max_parallel: int = Field(
        default=1,
        ge=-1_000_000,
        le=1_000_000,
        description="runs at once (1 to the configured limit, `SCHEDULER_BACKFILL_MAX_PARALLEL`)",
    )
    kwargs: BoundedKwargs | None = Field(
        default=None, description="more kwargs for every run (the day's own kwargs are set per run)"
    )


class BackfillRun(BaseModel):
    """One day of a backfill: its execution, and its status (`pending` until it starts)."""

    day: str
    execution_id: str
    status: str


class BackfillOut(BaseModel):
    """A backfill and how far it has got (`running` counts queued and running runs)."""

    model_config = ConfigDict(extra="forbid")

    backfill_id: str
    job_id: str
    status: str = Field(description="running, cancelling, finished or cancelled")
    start_date: str
    end_date: str
    max_parallel: int
    kwargs: dict[str, Any]
    actor: str
    requested_at: str
    finished_at: str | None = None
    total: int
    done: int
    failed: int
    cancelled: int
    running: int
    pending: int
    runs: list[BackfillRun] | None = Field(default=None, description="every day, oldest first (detail only)")


class BackfillPage(BaseModel):
    """A page of backfills, newest first."""

    backfills: list[BackfillOut]
    total: int
    limit: int
    offset: int
