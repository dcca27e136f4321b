"""Our cron dialect against a reference implementation (croniter, a test dependency only): the next 20 fire
times of a few thousand generated expressions, from starts around the leap day of 2028."""

from __future__ import annotations

import random
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from croniter import croniter  # type: ignore[import-untyped]

from domain.triggers import TriggerError
from domain.triggers import parse_trigger

EXPRESSIONS = 3000
FIRES = 20
SEED = 20280229
SPAN_START = datetime(2027, 12, 1, tzinfo=UTC)
SPAN_S = 120 * 86_400  # to the end of March 2028: February 29 is inside
BOUNDS = {"minute": (0, 59), "hour": (0, 23), "day": (1, 31), "month": (1, 12), "weekday": (0, 7)}
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def generated_field(rng: random.Random, kind: str) -> str:
    low, high = BOUNDS[kind]
    shape = rng.choices(["star", "value", "range", "step", "range_step", "list"], [4, 4, 2, 2, 1, 2])[0]
    if shape == "star":
        return "*"
    if shape == "step":
        return f"*/{rng.randint(1, high // 2 + 1)}"
    if shape == "list":
        return ",".join(str(value) for value in sorted(rng.sample(range(low, high + 1), rng.randint(2, 4))))
    first = rng.randint(low, high - 1)
    if shape == "value":
        return _maybe_name(rng, kind, first)
    # Never a range of one value (`5-5`): croniter reads it as `*` (a bug of the reference, not of ours).
    last = rng.randint(first + 1, high)
    if kind == "weekday" and (first, last) == (0, 7):
        last = 6
    text = f"{_maybe_name(rng, kind, first)}-{_maybe_name(rng, kind, last)}"
    return f"{text}/{rng.randint(1, 5)}" if shape == "range_step" else text


def _maybe_name(rng: random.Random, kind: str, value: int) -> str:
    if kind == "month" and rng.random() < 0.3:
        return MONTHS[value - 1]
    if kind == "weekday" and value < 7 and rng.random() < 0.3:
        return DAYS[value]
    return str(value)


def generated_expressions(count: int) -> list[str]:
    rng = random.Random(SEED)
    expressions: list[str] = []
    while len(expressions) < count:
        fields = [generated_field(rng, kind) for kind in BOUNDS]
        if rng.random() < 0.5:  # real crontabs are mostly fixed minutes and hours
            fields[0] = str(rng.randint(0, 59))
        expression = " ".join(fields)
        try:
            if _full_day_field(expression):
                continue
        except TriggerError:
            continue  # a date that never exists (e.g. 30 February): refused, checked in another test
        expressions.append(expression)
    return expressions


def _full_day_field(expression: str) -> bool:
    """A day field listing every day but not written `*` (`0-6`, `*/1`): croniter reads it as `*` when the
    other day field holds a `*` (`*/2`), as restricted otherwise; crontab(5) says "restricted" both times."""
    cron = parse_trigger(expression).cron
    assert cron is not None
    return any(field.full and not field.star for field in (cron.day_of_month, cron.day_of_week))


def reference_fires(expression: str, start: datetime) -> list[datetime]:
    iterator = croniter(expression, start)
    return [iterator.get_next(datetime).astimezone(UTC) for _ in range(FIRES)]


def our_fires(expression: str, start: datetime) -> list[datetime]:
    trigger = parse_trigger(expression).build(UTC)
    fires: list[datetime] = []
    at = start
    for _ in range(FIRES):
        fire = trigger.next_after(at)
        assert fire is not None
        fires.append(fire)
        at = fire
    return fires


def test_next_20_fires_match_croniter_for_thousands_of_expressions() -> None:
    rng = random.Random(SEED + 1)
    expressions = generated_expressions(EXPRESSIONS)
    differences = []
    leap_day_seen = 0
    for expression in expressions:
        start = SPAN_START + timedelta(seconds=rng.randrange(SPAN_S))
        ours, reference = our_fires(expression, start), reference_fires(expression, start)
        leap_day_seen += any((fire.month, fire.day) == (2, 29) for fire in ours)
        if ours != reference:
            differences.append((expression, start, ours[:3], reference[:3]))
    assert differences == [], f"{len(differences)} differ, first: {differences[:3]}"
    assert leap_day_seen > 30, "the span holds the leap day, and many expressions fire on it"


def test_the_named_cases_of_the_dialect_match_croniter() -> None:
    start = datetime(2028, 2, 20, 12, 0, tzinfo=UTC)
    for expression in (
        "0 0 13 * 5",  # every 13th and every Friday
        "0 9 1,15 * 1",  # the 1st, the 15th and every Monday
        "0 0 29 2 *",  # the leap day only
        "0 0 */2 * 1",  # a stepped day field is restricted too
        "5/15 * * * *",
        "0 0 * * 7",  # Sunday as 7
        "0 0 ? * mon-wed",
        "0 12 31 * *",  # only months with a 31st
        "@hourly",
        "@weekly",
        "@monthly",
        "@yearly",
    ):
        assert our_fires(expression, start) == reference_fires(expression, start), expression
