"""The clock side of a dependency trigger (`after:...`): it never fires on its own."""

from __future__ import annotations

from datetime import datetime


class NeverTrigger:
    """A trigger with no instants: the job runs when its upstream jobs end (`domain.dependencies`)."""

    def next_after(self, instant: datetime) -> datetime | None:
        """Never: no instant follows."""
        return None
