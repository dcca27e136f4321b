"""APScheduler 3 triggers seen through the decider's `Trigger` protocol (`next_after` on UTC instants)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.triggers.base import BaseTrigger

_TICK = timedelta(microseconds=1)


class ApsTrigger:
    """`next_after(instant)`: the first fire instant strictly after `instant`, in UTC (None: never again).

    The microsecond is added on the UTC instant, never on an aware wall time (which would reset `fold`)."""

    def __init__(self, trigger: BaseTrigger) -> None:
        self._trigger = trigger

    def next_after(self, instant: datetime) -> datetime | None:
        after = instant.astimezone(UTC) + _TICK
        following = self._trigger.get_next_fire_time(None, after)
        return following.astimezone(UTC) if following is not None else None
