"""Trigger settings: crontab (with crontab's weekday numbers), HH:MM daily, intervals; clear errors."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from services.scheduler.triggers import TriggerSpecError, build_trigger, crontab_days_to_names

SHANGHAI = ZoneInfo("Asia/Shanghai")


def next_fires(spec: str, start: datetime, count: int) -> list[datetime]:
    trigger = build_trigger(spec, SHANGHAI)
    fires: list[datetime] = []
    previous = None
    now = start
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, now)
        assert fire is not None
        fires.append(fire)
        previous, now = fire, fire
    return fires


def test_weekdays_1_to_5_mean_monday_to_friday_as_in_crontab() -> None:
    # 2026-11-28 is a Saturday.
    fires = next_fires("0 16 * * 1-5", datetime(2026, 11, 28, 12, 0, tzinfo=SHANGHAI), 5)
    assert [fire.strftime("%a %H:%M") for fire in fires] == [
        "Mon 16:00",
        "Tue 16:00",
        "Wed 16:00",
        "Thu 16:00",
        "Fri 16:00",
    ]


def test_sunday_is_0_or_7() -> None:
    assert crontab_days_to_names("0") == crontab_days_to_names("7") == "sun"
    fires = next_fires("0 3 * * 0", datetime(2026, 11, 28, 12, 0, tzinfo=SHANGHAI), 1)
    assert fires[0].strftime("%a %d %H:%M") == "Sun 29 03:00"


def test_daily_hh_mm_and_intervals_use_the_configured_timezone() -> None:
    (fire,) = next_fires("06:30", datetime(2026, 11, 28, 12, 0, tzinfo=SHANGHAI), 1)
    assert (fire.day, fire.hour, fire.minute, fire.utcoffset()) == (29, 6, 30, SHANGHAI.utcoffset(fire))
    first, second = next_fires("interval:360", datetime(2026, 11, 28, 12, 0, tzinfo=SHANGHAI), 2)
    assert (second - first).total_seconds() == 360


def test_trading_hours_cron_fires_every_five_minutes_in_session() -> None:
    fires = next_fires("*/5 9-15 * * 1-5", datetime(2026, 11, 30, 15, 50, tzinfo=SHANGHAI), 2)
    assert [fire.strftime("%a %H:%M") for fire in fires] == ["Mon 15:50", "Mon 15:55"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("61 * * * *", "invalid cron expression '61 * * * *'"),
        ("25:00", "invalid time of day '25:00'"),
        ("* * *", "expected a 5-field cron expression"),
        ("0 0 * * 8", "invalid day of week '8'"),
        ("0 0 * * 5-1", "invalid day-of-week range"),
        ("interval:0", "invalid interval"),
        ("every day", "expected a 5-field cron expression"),
    ],
)
def test_bad_trigger_settings_say_which_value_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(TriggerSpecError, match=message.replace("*", r"\*")):
        build_trigger(spec, SHANGHAI)
