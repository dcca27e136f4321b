"""Daylight saving time on instants: a daily 02:30 job runs once on the spring and the autumn change day, in
Asia/Shanghai, Europe/Berlin and America/New_York; no loops, no duplicates, whatever the policy."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.triggers import DstPolicy
from domain.triggers import instants_between
from domain.triggers import parse_trigger

ZONES = ("Asia/Shanghai", "Europe/Berlin", "America/New_York")
# 2026's changes: Berlin 29 March / 25 October (at 01:00 UTC); New York 8 March / 1 November (at 02:00 local).
CHANGE_DAYS = {
    "Asia/Shanghai": (date(2026, 3, 29), date(2026, 10, 25)),  # no change: plain days
    "Europe/Berlin": (date(2026, 3, 29), date(2026, 10, 25)),
    "America/New_York": (date(2026, 3, 8), date(2026, 11, 1)),
}
POLICIES = (DstPolicy(), DstPolicy("every", "skip"), DstPolicy("first", "skip"), DstPolicy("every", "shift"))


def fires_over(
    spec: str, zone: ZoneInfo, policy: DstPolicy, start: datetime, end: datetime
) -> list[datetime]:
    trigger = parse_trigger(spec).build(zone, policy)
    span = instants_between(trigger, start, end, cap=100_000)
    assert span.dropped == 0
    return list(span.instants)


def local_days(fires: list[datetime], zone: ZoneInfo) -> list[date]:
    return [fire.astimezone(zone).date() for fire in fires]


@pytest.mark.parametrize("zone_name", ZONES)
def test_a_daily_0230_job_runs_once_on_both_change_days(zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    for day in CHANGE_DAYS[zone_name]:
        start = datetime(day.year, day.month, day.day, tzinfo=zone) - timedelta(days=3)
        fires = fires_over("30 2 * * *", zone, DstPolicy(), start.astimezone(UTC), start + timedelta(days=7))
        assert local_days(fires, zone) == [start.date() + timedelta(days=n) for n in range(7)], fires
        assert len(set(fires)) == len(fires) and fires == sorted(fires)


def test_berlin_spring_the_skipped_0230_runs_at_the_first_valid_instant_or_not_at_all() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start, end = datetime(2026, 3, 28, 12, tzinfo=UTC), datetime(2026, 3, 30, 12, tzinfo=UTC)
    (shifted, after) = fires_over("30 2 * * *", berlin, DstPolicy(), start, end)
    assert shifted == datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "03:00 CEST, the moment of the change"
    assert after.astimezone(berlin).strftime("%d %H:%M") == "30 02:30"
    (only,) = fires_over("30 2 * * *", berlin, DstPolicy(skipped="skip"), start, end)
    assert only == after


def test_berlin_autumn_the_repeated_0230_runs_at_its_first_occurrence_or_at_both() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    start, end = datetime(2026, 10, 24, 12, tzinfo=UTC), datetime(2026, 10, 25, 12, tzinfo=UTC)
    (first,) = fires_over("30 2 * * *", berlin, DstPolicy(), start, end)
    assert first == datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "02:30 CEST (+02:00), the first one"
    both = fires_over("30 2 * * *", berlin, DstPolicy(repeated="every"), start, end)
    assert both == [datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC)]


@pytest.mark.parametrize("zone_name", ZONES)
@pytest.mark.parametrize("policy", POLICIES, ids=str)
@pytest.mark.parametrize("spec", ["*/15 * * * *", "0 * * * *", "30 1,2,3 * * *", "interval:600"])
def test_no_loop_no_duplicate_and_every_real_hour_covered(
    zone_name: str, policy: DstPolicy, spec: str
) -> None:
    zone = ZoneInfo(zone_name)
    for day in CHANGE_DAYS[zone_name]:
        start = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC) - timedelta(hours=6)
        fires = fires_over(spec, zone, policy, start, start + timedelta(hours=36))
        assert fires == sorted(set(fires)), "strictly increasing: no loop, no duplicate"
        walls = [(fire.astimezone(zone).replace(tzinfo=None), fire.astimezone(zone).fold) for fire in fires]
        if policy.repeated == "first" and not spec.startswith("interval"):
            plain = [wall for wall, _ in walls]
            assert len(plain) == len(set(plain)), "a repeated wall time fires once"


def test_hourly_job_runs_every_real_hour_with_every_and_skips_the_repeat_with_first() -> None:
    new_york = ZoneInfo("America/New_York")
    start, end = datetime(2026, 11, 1, 4, tzinfo=UTC), datetime(2026, 11, 1, 8, tzinfo=UTC)  # 00:00 EDT on
    every = fires_over("0 * * * *", new_york, DstPolicy(repeated="every"), start, end)
    assert [fire.hour for fire in every] == [5, 6, 7, 8], "01:00 EDT, 01:00 EST, 02:00, 03:00 EST"
    first = fires_over("0 * * * *", new_york, DstPolicy(), start, end)
    assert [fire.hour for fire in first] == [5, 7, 8]


def test_catch_up_over_an_outage_across_the_autumn_change_accounts_each_instant_once() -> None:
    """The old loop added a microsecond to aware wall times: 10,000 iterations, 12 distinct ids. Here the
    instants are exact, sorted, distinct, and as many as there were real fires."""
    berlin = ZoneInfo("Europe/Berlin")
    start, end = datetime(2026, 10, 24, 20, tzinfo=UTC), datetime(2026, 10, 25, 6, tzinfo=UTC)
    fires = fires_over("*/5 * * * *", berlin, DstPolicy(repeated="every"), start, end)
    assert len(fires) == 10 * 12 == len(set(fires))
    first_only = fires_over("*/5 * * * *", berlin, DstPolicy(), start, end)
    assert len(first_only) == 9 * 12, "the repeated hour's 12 wall times fire once each"
