"""Datetimes in query parameters.

ISO 8601 text only; a bound without an offset is read in the display timezone, as the web client does.
"""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator

ISO_DATE_START = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_only(value: object) -> object:
    """Query datetimes are ISO 8601 text, as documented; numbers are not read as Unix times."""
    if isinstance(value, str) and not ISO_DATE_START.match(value):
        raise ValueError("expected an ISO 8601 datetime, e.g. 2025-01-06T09:30:00+08:00")
    return value


QueryDateTime = Annotated[datetime, BeforeValidator(_iso_only)]


def utc_bound(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A bound in UTC; one without an offset is read in the display timezone, as the web client does.

    Bounds beyond what UTC can represent (year 1 or 9999 with an offset) become the extreme instants.
    """
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)
    try:
        return aware.astimezone(UTC)
    except OverflowError:
        extreme = datetime.max if aware.year > 1 else datetime.min
        return extreme.replace(tzinfo=UTC)
