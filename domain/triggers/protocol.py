"""What every trigger offers: the first fire instant strictly after a given instant."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Trigger(Protocol):
    """What the scheduler asks of a trigger: its next fire instant after a given one."""

    def next_after(self, instant: datetime) -> datetime | None:
        """The first fire instant strictly after `instant`; None if it never fires again.

        Both are aware UTC datetimes.
        """
        ...
