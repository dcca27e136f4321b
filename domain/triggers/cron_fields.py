"""The crontab dialect: five fields, names, ranges, steps, macros, and what is refused.

`minute hour day-of-month month day-of-week`, each a comma list of `*`, `N`, `A-B`, with an optional `/STEP`
(`*/5`, `9-15/2`, `5/15` = from 5 to the end by 15). Months take `jan`..`dec`, days of the week `sun`..`sat`
(0 and 7 are Sunday), names in any case. `?` is `*` in the two day fields. Macros: `@hourly`, `@daily`
(`@midnight`), `@weekly`, `@monthly`, `@yearly` (`@annually`).

As crontab(5) says: when both day fields are restricted (are not `*`), a day matching either one fires
(`0 0 13 * 5`: every 13th and every Friday). Anything but `*` is restricted, `*/2` and `0-6` too. A date
that never exists (`0 0 30 2 *`, `0 0 31 4 *`) is refused, as is a backwards range or a value out of
bounds.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass

from domain.triggers.errors import TriggerError

MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
MAX_FIELD_CHARS = 200


@dataclass(frozen=True)
class FieldShape:
    """The range and month or weekday names one cron field accepts, used to parse and check it."""

    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    names_start: int = 0  # the number of the first name


MINUTE = FieldShape("minute", 0, 59)
HOUR = FieldShape("hour", 0, 23)
DAY_OF_MONTH = FieldShape("day-of-month", 1, 31)
MONTH = FieldShape("month", 1, 12, MONTH_NAMES, 1)
DAY_OF_WEEK = FieldShape("day-of-week", 0, 7, DAY_NAMES, 0)
SHAPES = (MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK)


@dataclass(frozen=True)
class Part:
    """One comma part as written: `*` (first None), `N`, `A-B`, `A/S` (last None, step) or `A-B/S`."""

    first: int | None
    last: int | None
    step: int | None
    named: bool = False


@dataclass(frozen=True)
class CronField:
    """One parsed cron field: its text, its parts and the values it allows."""

    text: str
    parts: tuple[Part, ...]
    values: frozenset[int]
    full: bool  # every value of the field

    @property
    def star(self) -> bool:
        """Unrestricted for the day-field rule: written `*` (or `?`)."""
        return self.text in ("*", "?")


@dataclass(frozen=True)
class CronFields:
    """The five parsed fields of a cron expression, minute to day of week."""

    minute: CronField
    hour: CronField
    day_of_month: CronField
    month: CronField
    day_of_week: CronField  # values 0-6, Sunday = 0

    @property
    def days_either(self) -> bool:
        """Both day fields restricted: a day matching either fires (crontab's rule)."""
        return not self.day_of_month.star and not self.day_of_week.star


def parse_cron(expression: str) -> CronFields:
    """The fields of a five-field cron expression or a macro such as `@daily`.

    Raises TriggerError, naming the field, when the expression is malformed or a value is out of range.
    """
    text = expression.strip()
    if text.startswith("@"):
        macro = MACROS.get(text.lower())
        if macro is None:
            known = ", ".join(sorted(MACROS))
            raise TriggerError("trigger", f"unknown macro {text[:40]!r} (known: {known})")
        text = macro
    fields = text.split()
    if len(fields) != 5:
        raise TriggerError(
            "trigger",
            f"a cron expression has 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}",
        )
    minute, hour, day, month, weekday = (
        parse_field(f, shape) for f, shape in zip(fields, SHAPES, strict=True)
    )
    week = frozenset(value % 7 for value in weekday.values)
    weekday = CronField(weekday.text, weekday.parts, week, len(week) == 7)
    cron = CronFields(minute, hour, day, month, weekday)
    _refuse_impossible_dates(cron)
    return cron


def parse_field(text: str, shape: FieldShape) -> CronField:
    """One cron field parsed against its shape (lists, ranges, steps, names).

    Raises TriggerError when the field is too long, malformed or out of its range.
    """
    if len(text) > MAX_FIELD_CHARS:
        raise TriggerError(shape.name, f"{shape.name} field is longer than {MAX_FIELD_CHARS} characters")
    parts = tuple(_parse_part(part, shape) for part in text.lower().split(","))
    values: set[int] = set()
    for part in parts:
        values |= _expand(part, shape)
    return CronField(text.lower(), parts, frozenset(values), len(values) == shape.high - shape.low + 1)


def _parse_part(text: str, shape: FieldShape) -> Part:
    if not text:
        raise TriggerError(shape.name, f"{shape.name} has an empty item")
    base, slash, step_text = text.partition("/")
    step = _step(step_text, shape) if slash else None
    if base == "*" or (base == "?" and shape in (DAY_OF_MONTH, DAY_OF_WEEK)):
        return Part(None, None, step)
    first_text, dash, last_text = base.partition("-")
    first, named = _value(first_text, shape)
    if not dash:
        return Part(first, None, step, named)
    last, last_named = _value(last_text, shape)
    if last < first:
        raise TriggerError(shape.name, f"{shape.name} range {base} goes backwards")
    return Part(first, last, step, named or last_named)


def _step(text: str, shape: FieldShape) -> int:
    if not text.isdigit() or len(text) > 4:
        raise TriggerError(shape.name, f"{shape.name} step {text[:20]!r} is not a whole number")
    step = int(text)
    if step < 1:
        raise TriggerError(shape.name, f"{shape.name} step must be at least 1, got {step}")
    return step


def _value(text: str, shape: FieldShape) -> tuple[int, bool]:
    if text in shape.names:
        return shape.names.index(text) + shape.names_start, True
    if not text.isdigit() or len(text) > 4:
        names = f" or a name ({shape.names[0]}-{shape.names[-1]})" if shape.names else ""
        raise TriggerError(shape.name, f"{shape.name} {text[:20]!r} is not a number{names}")
    value = int(text)
    if not shape.low <= value <= shape.high:
        raise TriggerError(shape.name, f"{shape.name} {value} is outside {shape.low}-{shape.high}")
    return value, False


def _expand(part: Part, shape: FieldShape) -> set[int]:
    first = shape.low if part.first is None else part.first
    if part.last is not None:
        last = part.last
    elif part.first is None or part.step is not None:
        last = shape.high
    else:
        last = first
    return set(range(first, last + 1, part.step or 1))


def _refuse_impossible_dates(cron: CronFields) -> None:
    """Only day-of-month with months can be impossible (a weekday comes in every month)."""
    if cron.days_either or cron.day_of_month.star:
        return
    for month in cron.month.values:
        longest = calendar.monthrange(2024, month)[1]  # a leap year: 29 February exists
        if any(day <= longest for day in cron.day_of_month.values):
            return
    days = ",".join(str(day) for day in sorted(cron.day_of_month.values))
    months = ",".join(MONTH_NAMES[month - 1] for month in sorted(cron.month.values))
    raise TriggerError("day-of-month", f"day-of-month {days} never occurs in {months}: it would never fire")
