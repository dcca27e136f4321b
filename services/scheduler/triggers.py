"""Trigger settings turned into our triggers.

See `domain.triggers`; wrapped for APScheduler 3 while it is the scheduler's clock.

Accepted forms (in the configured timezone), see the README's "Cron dialect":
- a 5-field crontab expression, e.g. `*/5 9-15 * * 1-5`, or a macro (`@daily`, `@hourly`, ...), with
  crontab's meaning (weekdays 0 and 7 = Sunday; both day fields restricted: either one matching fires);
- `HH:MM`, daily at that time;
- `interval:SECONDS`, e.g. `interval:360` (aligned on multiples of the interval since 2000-01-01 local time,
  so fires fall at the same instants whichever scheduler computes them);
- `after:JOB[,JOB...]`: no instants; the job runs when its upstream jobs succeed (see `domain.dependencies`).

All arithmetic is on instants; daylight saving time follows the job's policy (`domain.triggers.dst`).
"""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from datetime import tzinfo

from apscheduler.triggers.base import BaseTrigger

from domain.trigger_setting import TriggerSpecError
from domain.trigger_setting import parse_trigger_setting
from domain.triggers import DEFAULT_DST_POLICY
from domain.triggers import DstPolicy
from domain.triggers import Trigger
from domain.triggers import TriggerSpec
from domain.triggers import legacy_text
from domain.triggers.trading_days import CalendarSource
from domain.triggers.trading_days import TradingDayTrigger

_ONE_MICROSECOND = timedelta(microseconds=1)


class SchedulerTrigger(BaseTrigger):  # type: ignore[misc]  # APScheduler 3 is untyped
    """One of our triggers, as APScheduler 3 asks for fire times; it keeps the text it was built from."""

    def __init__(
        self,
        spec: TriggerSpec,
        zone: tzinfo,
        dst: DstPolicy = DEFAULT_DST_POLICY,
        calendar: CalendarSource | None = None,
    ) -> None:
        self.spec = spec
        self.zone = zone
        inner: Trigger = spec.build(zone, dst)
        # `policy.calendar`: only the fires on trading days (the calendar is read at each computation)
        self.trigger: Trigger = inner if calendar is None else TradingDayTrigger(inner, zone, calendar)

    @property
    def upstreams(self) -> tuple[str, ...]:
        """The jobs this one runs after (`after:` triggers); empty for a clock trigger."""
        return self.spec.after

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        """The next fire time.

        After the previous fire when there is one (APScheduler always passes `now` at or after it), else at
        or after `now`: in the trigger's zone, converted from the instant (so `fold` is right).
        """
        after = previous_fire_time if previous_fire_time is not None else now - _ONE_MICROSECOND
        instant = self.trigger.next_after(after)
        return None if instant is None else instant.astimezone(self.zone)

    def next_after(self, instant: datetime) -> datetime | None:
        """The wrapped trigger's first fire instant strictly after `instant`; None if it never fires again."""
        return self.trigger.next_after(instant)

    def __str__(self) -> str:
        return legacy_text(self.spec)

    def __repr__(self) -> str:
        return f"<SchedulerTrigger {self.spec.text!r} in {self.zone}>"


def build_trigger(
    spec: str,
    timezone: tzinfo,
    *,
    dst: DstPolicy = DEFAULT_DST_POLICY,
    min_interval_s: float | None = None,
    calendar: CalendarSource | None = None,
) -> SchedulerTrigger:
    """The trigger of a setting.

    `min_interval_s` refuses one that fires more often (operators' input); `calendar` limits its fires to
    trading days (`policy.calendar`).
    """
    parsed = parse_trigger_setting(spec, min_interval_s=min_interval_s)
    return SchedulerTrigger(parsed, timezone, dst, calendar)


def describe(trigger: BaseTrigger) -> str:
    """The trigger text the web client shows (APScheduler 3's rendering, kept for every existing setting)."""
    return str(trigger)


__all__ = ["SchedulerTrigger", "TriggerSpecError", "build_trigger", "describe"]
