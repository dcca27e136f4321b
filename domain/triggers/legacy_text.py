"""The trigger text the web client shows, and the trigger read back from it.

APScheduler 3's rendering (`cron[month='*', ..., minute='0']`, `interval[0:06:00]`), kept for the texts that
existed, and read back into a trigger by the API.

Crontab's day rule survives the round trip: a day field restricts days exactly when its rendering does, so
`day='13', day_of_week='fri'` reads back as "the 13th or a Friday", as it was written.
"""

from __future__ import annotations

import re
from datetime import timedelta

from domain.triggers.cron_fields import DAY_NAMES
from domain.triggers.cron_fields import MONTH_NAMES
from domain.triggers.cron_fields import CronField
from domain.triggers.cron_fields import Part
from domain.triggers.errors import TriggerError
from domain.triggers.spec import TriggerSpec
from domain.triggers.spec import parse_trigger

_MONDAY_FIRST = (1, 2, 3, 4, 5, 6, 0)
_INTERVAL = re.compile(r"^interval\[(?:(\d+) days?, )?(\d+):(\d{2}):(\d{2})\]$")
_CRON = re.compile(r"^cron\[(.*)\]$")
_PAIR = re.compile(r"(\w+)='([^']*)'")


def legacy_text(spec: TriggerSpec) -> str:
    """The trigger as APScheduler 3 rendered it (`cron[...]`, `interval[...]`), what the web client shows."""
    if spec.after:
        return spec.text  # `after:a,b`: no APScheduler rendering ever existed
    if spec.interval_s is not None:
        return f"interval[{timedelta(seconds=spec.interval_s)}]"
    assert spec.cron is not None
    cron = spec.cron
    hour, minute = _field(cron.hour), _field(cron.minute)
    if spec.daily:
        return f"cron[hour='{hour}', minute='{minute}']"
    month, day = _field(cron.month, MONTH_NAMES), _field(cron.day_of_month)
    return (
        f"cron[month='{month}', day='{day}', day_of_week='{_weekdays(cron.day_of_week)}', "
        f"hour='{hour}', minute='{minute}']"
    )


def spec_from_legacy_text(text: str) -> TriggerSpec | None:
    """The trigger a shown text stands for; None for a text this dialect does not render (`date[...]`)."""
    if text.startswith("after:"):
        try:
            return parse_trigger(text)
        except TriggerError:
            return None
    if match := _INTERVAL.match(text):
        days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
        return parse_trigger(f"interval:{((days * 24 + hours) * 60 + minutes) * 60 + seconds}")
    match = _CRON.match(text)
    if match is None:
        return None
    fields = dict(_PAIR.findall(match[1]))
    if fields.get("second", "0") != "0" or fields.get("year", "*") != "*" or fields.get("week", "*") != "*":
        return None
    names = ("minute", "hour", "day", "month", "day_of_week")
    try:
        return parse_trigger(" ".join(fields.get(name, "*") for name in names))
    except TriggerError:
        return None


def _field(field: CronField, names: tuple[str, ...] = ()) -> str:
    return ",".join(_part(part, names) for part in field.parts)


def _part(part: Part, names: tuple[str, ...]) -> str:
    if part.first is None:
        return f"*/{part.step}" if part.step else "*"
    named = names and part.named and part.step is None

    def show(value: int) -> str:
        return names[value - 1] if named else str(value)

    text = show(part.first)
    if part.last is not None and part.last != part.first:
        text = f"{text}-{show(part.last)}"
    return f"{text}/{part.step}" if part.step else text


def _weekdays(field: CronField) -> str:
    """Day names, Monday first (APScheduler numbers weekdays from Monday; names are unambiguous)."""
    if field.text in ("*", "?"):
        return "*"
    return ",".join(DAY_NAMES[day] for day in _MONDAY_FIRST if day in field.values)
