"""A day given in a run's kwargs (`start_date`, `end_date`, `trade_date`), as `YYYY-MM-DD` text."""

from __future__ import annotations

from datetime import date
from typing import Any


def day_kwarg(kwargs: dict[str, Any], name: str, *, job: str | None = None) -> date | None:
    """The day the kwarg `name` gives; None when it is not given.

    Raises ValueError (naming `job`, if given) for a value that is not a `YYYY-MM-DD` date.
    """
    raw = kwargs.get(name)
    if raw is None:
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        prefix = f"{job}: " if job else ""
        raise ValueError(f"{prefix}{name} must be YYYY-MM-DD, got {raw!r}") from None
