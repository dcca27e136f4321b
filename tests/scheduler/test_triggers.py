"""Trigger settings: crontab (with crontab's weekday numbers), HH:MM daily, intervals; clear errors; the
APScheduler adapter and the text the web client shows."""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from services.scheduler.triggers import TriggerSpecError
from services.scheduler.triggers import build_trigger
from services.scheduler.triggers import describe

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
    assert describe(build_trigger("0 3 * * 0", SHANGHAI)) == describe(build_trigger("0 3 * * 7", SHANGHAI))
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
        ("61 * * * *", "invalid cron expression '61 * * * *': minute 61 is outside 0-59"),
        ("25:00", "invalid time of day '25:00'"),
        ("* * *", "expected a 5-field cron expression"),
        ("0 0 * * 8", "day-of-week 8 is outside 0-7"),
        ("0 0 * * 5-1", "day-of-week range 5-1 goes backwards"),
        ("0 0 30 2 *", "day-of-month 30 never occurs in feb: it would never fire"),
        ("0 0 31 4,6 *", "day-of-month 31 never occurs in apr,jun"),
        ("*/0 * * * *", "minute step must be at least 1"),
        ("0 0 * foo *", "month 'foo' is not a number or a name (jan-dec)"),
        ("@fortnightly", "unknown macro"),
        ("interval:0", "invalid interval 'interval:0': interval 0 is outside"),
        ("every day", "expected a 5-field cron expression"),
    ],
)
def test_bad_trigger_settings_say_which_value_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(TriggerSpecError, match=re.escape(message)):
        build_trigger(spec, SHANGHAI)


def test_the_frequency_floor_refuses_what_fires_too_often() -> None:
    with pytest.raises(TriggerSpecError, match="more often than the floor of 10 s"):
        build_trigger("interval:5", SHANGHAI, min_interval_s=10)
    assert build_trigger("interval:10", SHANGHAI, min_interval_s=10) is not None
    assert build_trigger("interval:1", SHANGHAI) is not None, "settings (and tests) may go below it"


@pytest.mark.parametrize(
    "spec",
    [
        "06:30",
        "interval:360",
        "interval:86400",
        "0 16 * * 1-5",
        "*/5 9-15 * * 1-5",
        "0 9 * * 6,0",
        "0 0 1 jan *",
    ],
)
def test_the_shown_text_is_apschedulers_for_existing_settings(spec: str) -> None:
    """The web client reads APScheduler 3's rendering; settings that existed keep the same text."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    if spec.startswith("interval:"):
        expected = str(IntervalTrigger(seconds=int(spec.split(":")[1]), timezone=SHANGHAI))
    elif ":" in spec:
        hour, minute = spec.split(":")
        expected = str(CronTrigger(hour=int(hour), minute=int(minute), timezone=SHANGHAI))
    else:
        minute, hour, day, month, weekday = spec.split()
        names = {"1-5": "mon-fri", "6,0": "sat,sun", "*": "*"}[weekday]
        expected = str(CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=names))
        expected = expected.replace("mon-fri", "mon,tue,wed,thu,fri")
    assert describe(build_trigger(spec, SHANGHAI)) == expected


def test_friday_or_the_13th_as_crontab_means_it() -> None:
    """APScheduler ANDed the two day fields (only Friday the 13th); crontab fires on either."""
    fires = next_fires("0 0 13 * 5", datetime(2026, 11, 1, 12, 0, tzinfo=SHANGHAI), 4)
    assert [fire.strftime("%a %d") for fire in fires] == ["Fri 06", "Fri 13", "Fri 20", "Fri 27"]
    fires = next_fires("0 9 1,15 * 1", datetime(2026, 12, 1, 12, 0, tzinfo=SHANGHAI), 3)
    assert [fire.strftime("%a %d") for fire in fires] == ["Mon 07", "Mon 14", "Tue 15"]


def test_apscheduler_runs_our_trigger_with_fold_right_across_the_autumn_change() -> None:
    """The adapter answers in the trigger's zone from the instant: after a fire in the repeated hour, the
    next one comes after it (the old loop added a microsecond to an aware wall time and went back an hour)."""
    berlin = ZoneInfo("Europe/Berlin")
    trigger = build_trigger("interval:1800", berlin)
    start = datetime(2026, 10, 25, 0, 10, tzinfo=UTC)  # 02:10 CEST, the first 02:xx
    fires = []
    previous = None
    now = start
    for _ in range(4):
        fire = trigger.get_next_fire_time(previous, now)
        assert fire is not None
        fires.append(fire)
        previous, now = fire, fire + timedelta(microseconds=1)  # what the catch-up loop does
    assert [fire.astimezone(UTC).strftime("%H:%M") for fire in fires] == ["00:30", "01:00", "01:30", "02:00"]
    assert [fire.strftime("%H:%M%z") for fire in fires] == [
        "02:30+0200",
        "02:00+0100",
        "02:30+0100",
        "03:00+0100",
    ]


def test_the_catch_up_loop_across_the_autumn_change_ends_with_each_fire_once() -> None:
    """The scheduler's catch-up walk (`fires_between`) over a Berlin autumn night: it looped to its limit on
    aware wall times; on our trigger it gives each real fire once (the repeated 02:30 at its first time)."""
    from domain.run_policy import fires_between

    berlin = ZoneInfo("Europe/Berlin")
    trigger = build_trigger("*/30 * * * *", berlin)
    first = trigger.get_next_fire_time(None, datetime(2026, 10, 24, 22, 0, tzinfo=UTC))
    assert first is not None
    fires = fires_between(trigger.get_next_fire_time, first, datetime(2026, 10, 25, 4, 0, tzinfo=UTC))
    instants = [fire.astimezone(UTC) for fire in fires]
    assert instants == sorted(set(instants)) and len(instants) == 12 - 2, "02:00 and 02:30 CET not again"
    assert len({fire.isoformat() for fire in fires}) == len(fires), "distinct execution ids"
