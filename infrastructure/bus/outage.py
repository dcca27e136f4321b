"""When the broker went away, said once: one warning line when an outage begins, one line when it ends.

Every process reads `unreachable_since` for its health ("broker unreachable since …"); code that finds the
bus away while it works (a heartbeat, a publish) reports it here instead of logging a traceback per beat.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from contracts.envelope import utc_now

logger = logging.getLogger(__name__)


class OutageWatch:
    """One process's view of a broker outage: since when, how many, said once in the log each way."""

    def __init__(self, *, name: str, clock: Callable[[], datetime] = utc_now) -> None:
        self._name = name
        self._clock = clock
        self._since: datetime | None = None
        self._since_monotonic = 0.0
        self.outages = 0

    @property
    def unreachable_since(self) -> datetime | None:
        """When the broker became unreachable (the current outage), None while it answers."""
        return self._since

    def describe(self) -> str | None:
        """During an outage, "broker unreachable since <ISO time>"; else None."""
        since = self._since
        return None if since is None else f"broker unreachable since {since.isoformat()}"

    def lost(self, reason: object = None) -> None:
        """The broker cannot be reached (idempotent: only the first call of an outage logs)."""
        if self._since is not None:
            return
        self._since = self._clock()
        self._since_monotonic = time.monotonic()
        self.outages += 1
        logger.warning(
            "%s: broker unreachable since %s (%s); buffering and retrying until it returns",
            self._name,
            self._since.isoformat(timespec="seconds"),
            reason or "connection closed",
        )

    def back(self) -> None:
        """The broker answers again (idempotent)."""
        if self._since is None:
            return
        lasted = time.monotonic() - self._since_monotonic
        self._since = None
        logger.warning("%s: broker reachable again after %.1f s", self._name, lasted)
