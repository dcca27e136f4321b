"""The days a run works on, read from its kwargs, and the kwargs that give a job kind a range of days.

A backfill gives each run its day (`trade_date`, or `start_date` = `end_date`); a job that runs after such a
run is given the same days when its kind takes them (`domain.scheduling.dependencies`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from contracts.job_parameters import accepted_parameters

DayRange = tuple[str, str]
"""The first and last day (YYYY-MM-DD) a run works on."""


def range_of(kwargs: Mapping[str, Any]) -> DayRange | None:
    """The closed range of days a run's kwargs name; None when they name none (the run works on today)."""
    trade_date, start, end = (kwargs.get(name) for name in ("trade_date", "start_date", "end_date"))
    if isinstance(trade_date, str):
        return trade_date, trade_date
    if isinstance(start, str) and isinstance(end, str):
        return start, end
    return None  # a `start_date` alone reads "from that day on": no range to hand on


def range_kwargs(job_kind: str, days: DayRange) -> dict[str, str]:
    """The kwargs that give a run of `job_kind` these days, from what the kind declares.

    `trade_date` for one day when the kind takes it, else `start_date` (and `end_date` when declared); empty
    when the kind takes no date, or only `trade_date` and the range is longer than a day.
    """
    first, last = days
    accepted = set(accepted_parameters(job_kind))
    if "trade_date" in accepted and first == last:
        return {"trade_date": first}
    if "end_date" in accepted:
        return {"start_date": first, "end_date": last}
    if "start_date" in accepted:
        return {"start_date": first}
    return {}
