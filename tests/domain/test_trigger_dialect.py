"""The trigger dialect: what parses, what is refused (naming the field and the problem), and its words."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest

from domain.triggers import TriggerError
from domain.triggers import describe
from domain.triggers import legacy_text
from domain.triggers import parse_trigger
from domain.triggers import spec_from_legacy_text


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("61 * * * *", "minute", "minute 61 is outside 0-59"),
        ("0 24 * * *", "hour", "hour 24 is outside 0-23"),
        ("0 0 0 * *", "day-of-month", "day-of-month 0 is outside 1-31"),
        ("0 0 * 13 *", "month", "month 13 is outside 1-12"),
        ("0 0 * * 8", "day-of-week", "day-of-week 8 is outside 0-7"),
        ("0 0 * * fri-mon", "day-of-week", "day-of-week range fri-mon goes backwards"),
        ("0 0 * * 1,,2", "day-of-week", "day-of-week has an empty item"),
        ("*/x * * * *", "minute", "minute step 'x' is not a whole number"),
        ("0 0 30 2 *", "day-of-month", "day-of-month 30 never occurs in feb: it would never fire"),
        ("0 0 31 4 *", "day-of-month", "day-of-month 31 never occurs in apr"),
        ("0 0 * * * *", "trigger", "expected a 5-field cron expression"),
        ("@often", "trigger", "unknown macro '@often'"),
        ("24:00", "time of day", "a time of day is HH:MM"),
        ("interval:abc", "interval", "interval 'abc' is not a whole number of seconds"),
        ("interval:0", "interval", "interval 0 is outside 1-"),
        ("x" * 600, "trigger", "a trigger is at most 500 characters"),
    ],
)
def test_refusals_name_the_field_and_the_problem(text: str, field: str, message: str) -> None:
    with pytest.raises(TriggerError) as raised:
        parse_trigger(text)
    assert raised.value.field == field
    assert message in str(raised.value)


def test_a_date_that_exists_only_in_leap_years_or_in_some_months_is_accepted() -> None:
    for text in ("0 0 29 2 *", "0 0 31 * *", "0 0 30 2 5", "0 0 31 2,3 *"):
        parse_trigger(text)


def test_the_frequency_floor() -> None:
    with pytest.raises(TriggerError, match="fires every 5 s, more often than the floor of 10 s"):
        parse_trigger("interval:5", min_interval_s=10)
    with pytest.raises(TriggerError, match="fires every 60 s"):
        parse_trigger("* * * * *", min_interval_s=120)
    parse_trigger("*/2 * * * *", min_interval_s=120)
    parse_trigger("0 9,10 * * *", min_interval_s=3600)


def test_names_and_macros() -> None:
    start = datetime(2026, 12, 2, tzinfo=UTC)  # a Wednesday
    assert parse_trigger("0 0 * DEC Mon").build(UTC).next_after(start) == datetime(2026, 12, 7, tzinfo=UTC)
    assert parse_trigger("@daily").build(UTC).next_after(start) == datetime(2026, 12, 3, tzinfo=UTC)
    assert parse_trigger("@yearly").build(UTC).next_after(start) == datetime(2027, 1, 1, tzinfo=UTC)


DESCRIPTIONS = {
    "16:00": ("每天 16:00", "daily at 16:00"),
    "0 16 * * 1-5": ("工作日 16:00", "weekdays at 16:00"),
    "*/5 9-15 * * 1-5": ("工作日 09:00–15:59 每 5 分钟", "weekdays, every 5 min, 09:00–15:59"),
    "0 9 * * 6,0": ("周末 09:00", "weekends at 09:00"),
    "0 8 * * 1,3": ("每周一、三 08:00", "every Mon, Wed at 08:00"),
    "0 0 13 * 5": ("每月 13 日及每周五 00:00", "monthly on day 13 and every Fri at 00:00"),
    "@yearly": ("每年 1 月 1 日 00:00", "yearly on Jan 1 at 00:00"),
    "45 * * * *": ("每小时第 45 分", "hourly at :45"),
    "*/10 * * * *": ("每 10 分钟", "every 10 min"),
    "0 */2 * * *": ("每 2 小时整点", "every 2 h on the hour"),
    "interval:90": ("每 1 分钟 30 秒", "every 1 min 30 s"),
    "7,19 1-3,5 * * *": ("1-3,5 时的第 7,19 分", "minute 7,19 of hour 1-3,5"),
}


@pytest.mark.parametrize("text", DESCRIPTIONS)
def test_descriptions_in_both_languages(text: str) -> None:
    spec = parse_trigger(text)
    assert (describe(spec, "zh"), describe(spec, "en")) == DESCRIPTIONS[text]


@pytest.mark.parametrize(
    "text", ["06:30", "interval:86400", "0 0 13 * 5", "*/5 9-15 * * mon-fri", "0 0 1 jan,jul *", "@weekly"]
)
def test_the_shown_text_reads_back_as_the_same_trigger(text: str) -> None:
    spec = parse_trigger(text)
    again = spec_from_legacy_text(legacy_text(spec))
    assert again is not None
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ours, theirs = spec.build(UTC), again.build(UTC)
    for _ in range(30):
        fire = ours.next_after(start)
        assert fire is not None and fire == theirs.next_after(start)
        start = fire
    assert spec_from_legacy_text("date[2026-01-01 09:00:00 CST]") is None
