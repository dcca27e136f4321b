"""Our daylight saving handling against a plain model: every UTC minute around the 2026 changes, asked
"does this instant fire?" from the policy's definition, for generated expressions and every policy."""

from __future__ import annotations

import random
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.triggers import DstPolicy
from domain.triggers import instants_between
from domain.triggers import parse_trigger
from domain.triggers.cron_calendar import WallCalendar
from tests.domain.test_cron_reference import generated_expressions

ZONES = ("Asia/Shanghai", "Europe/Berlin", "America/New_York")
CHANGE_DAYS = {  # local dates of 2026's changes (plain days in Shanghai)
    "Asia/Shanghai": (datetime(2026, 3, 29), datetime(2026, 10, 25)),
    "Europe/Berlin": (datetime(2026, 3, 29), datetime(2026, 10, 25)),
    "America/New_York": (datetime(2026, 3, 8), datetime(2026, 11, 1)),
}
POLICIES = (DstPolicy(), DstPolicy("every", "skip"), DstPolicy("first", "skip"), DstPolicy("every", "shift"))
MINUTE = timedelta(minutes=1)
EXPRESSIONS = 25


def model_fires(
    calendar: WallCalendar, zone: ZoneInfo, policy: DstPolicy, start: datetime, end: datetime
) -> list[datetime]:
    """Minute by minute (the zones change offsets on whole hours): the policy, stated directly."""
    fires = []
    instant = start + MINUTE
    while instant <= end:
        local = instant.astimezone(zone)
        wall = local.replace(tzinfo=None)
        repeat = local.fold == 1 and wall.replace(tzinfo=zone, fold=0).utcoffset() != local.utcoffset()
        fires_here = calendar.matches(wall) and (policy.repeated == "every" or not repeat)
        before, after = (instant - MINUTE).astimezone(zone).utcoffset(), local.utcoffset()
        assert before is not None and after is not None
        if policy.skipped == "shift" and after > before:  # the clocks jumped at this instant
            gap_start = (instant + before).replace(tzinfo=None)
            missing = (gap_start + MINUTE * step for step in range(int((after - before) / MINUTE)))
            fires_here = fires_here or any(calendar.matches(gap_wall) for gap_wall in missing)
        if fires_here:
            fires.append(instant)
        instant += MINUTE
    return fires


def dst_expressions() -> list[str]:
    """Generated expressions, most of them moved into the small hours where the clocks change."""
    rng = random.Random(2026)
    expressions = []
    for expression in generated_expressions(EXPRESSIONS * 3)[:EXPRESSIONS]:
        minute, hour, *days = expression.split()
        hour = rng.choice([hour, "*", "1-3", "2", "0-4/2", "1,2,3", "*/3"])
        expressions.append(
            " ".join([minute, hour, "*", "*", "*"] if rng.random() < 0.7 else [minute, hour, *days])
        )
    return [*expressions, "30 2 * * *", "*/15 * * * *", "0 * * * *", "59 1 * * *", "0 3 * * *"]


@pytest.mark.parametrize("zone_name", ZONES)
def test_generated_expressions_fire_where_the_model_says(zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    differences = []
    for expression in dst_expressions():
        spec = parse_trigger(expression)
        assert spec.cron is not None
        calendar = WallCalendar(spec.cron)
        for day in CHANGE_DAYS[zone_name]:
            start = (day.replace(tzinfo=zone) - timedelta(hours=10)).astimezone(UTC)
            end = start + timedelta(hours=30)
            for policy in POLICIES:
                ours = list(instants_between(spec.build(zone, policy), start, end, cap=10_000).instants)
                expected = model_fires(calendar, zone, policy, start, end)
                if ours != expected:
                    differences.append(
                        (expression, day.date(), policy, sorted(set(ours) ^ set(expected))[:4])
                    )
    assert differences == [], differences[:5]
