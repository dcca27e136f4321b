"""Catch-up spans: the instants of a trigger in (start, end], capped, keeping the newest, counting the
rest."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.triggers import IntervalTrigger
from domain.triggers import instants_between
from domain.triggers import parse_trigger

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def test_the_cap_keeps_the_newest_and_counts_the_dropped() -> None:
    trigger = parse_trigger("*/5 * * * *").build(SHANGHAI)
    span = instants_between(trigger, START, START + timedelta(hours=2), cap=5)
    assert span.dropped == 24 - 5
    assert span.instants[-1] == START + timedelta(hours=2), "the end is included"
    assert list(span.instants) == [START + timedelta(minutes=5 * n) for n in range(20, 25)]


def test_the_start_is_excluded_and_an_empty_span_is_empty() -> None:
    trigger = parse_trigger("0 * * * *").build(SHANGHAI)
    span = instants_between(trigger, START, START + timedelta(minutes=59), cap=10)
    assert span.instants == () and span.dropped == 0
    span = instants_between(trigger, START, START + timedelta(hours=1), cap=0)
    assert span.instants == () and span.dropped == 1


@pytest.mark.parametrize("cap", [0, 1, 7, 1000])
def test_interval_spans_are_counted_and_agree_with_walking(cap: int) -> None:
    trigger = parse_trigger("interval:360").build(SHANGHAI)
    assert isinstance(trigger, IntervalTrigger)
    start, end = START + timedelta(seconds=17), START + timedelta(days=2, seconds=3)
    walked = []
    at = start
    while (fire := trigger.next_after(at)) is not None and fire <= end:
        walked.append(fire)
        at = fire
    span = instants_between(trigger, start, end, cap=cap)
    assert list(span.instants) == (walked[-cap:] if cap else [])
    assert span.dropped == len(walked) - len(span.instants)


def test_an_outage_of_weeks_of_a_ten_second_job_is_counted_not_walked() -> None:
    trigger = parse_trigger("interval:10").build(SHANGHAI)
    span = instants_between(trigger, START, START + timedelta(weeks=6), cap=10_000)
    assert len(span.instants) == 10_000
    assert span.dropped == 6 * 7 * 8640 - 10_000
    assert span.instants[-1] == START + timedelta(weeks=6)


def test_interval_fires_keep_their_phase_from_the_anchor() -> None:
    """Aligned on multiples of the interval since 2000-01-01 local time, as before."""
    trigger = parse_trigger("interval:360").build(SHANGHAI)
    fire = trigger.next_after(datetime(2026, 12, 2, 9, 1, 30, tzinfo=SHANGHAI))
    assert fire is not None and fire.astimezone(SHANGHAI).strftime("%H:%M:%S") == "09:06:00"
