"""A trigger in words, in Chinese or English.

For example `工作日 16:00` / `weekdays at 16:00`, `每 6 分钟` / `every 6 min`.

Common shapes get a sentence; anything else is said field by field, never guessed.
"""

from __future__ import annotations

from typing import Literal

from domain.triggers.cron_fields import CronField
from domain.triggers.cron_fields import CronFields
from domain.triggers.spec import TriggerSpec

Language = Literal["zh", "en"]
_WEEK_ZH = ("日", "一", "二", "三", "四", "五", "六")
_WEEK_EN = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONDAY_FIRST = (1, 2, 3, 4, 5, 6, 0)
_MAX_TIMES_LISTED = 6


def describe(spec: TriggerSpec, language: Language) -> str:
    """The trigger in words for the console, in Chinese (`zh`) or English, such as "daily at 09:30"."""
    zh = language == "zh"
    if spec.after:
        return f"在 {'、'.join(spec.after)} 成功之后" if zh else f"after {', '.join(spec.after)} succeed"
    if spec.interval_s is not None:
        return _interval(spec.interval_s, zh)
    assert spec.cron is not None
    days = _days(spec.cron, zh)
    time, fixed = _time(spec.cron, zh)
    if days is None:
        if not fixed:
            return time
        days = "每天" if zh else "daily"
    if zh:
        return f"{days} {time}"
    return f"{days} at {time}" if fixed else f"{days}, {time}"


def _interval(seconds: int, zh: bool) -> str:
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    units = ("天", "小时", "分钟", "秒") if zh else ("d", "h", "min", "s")
    parts = [
        f"{amount} {unit}"
        for amount, unit in zip((days, hours, minutes, seconds), units, strict=True)
        if amount
    ]
    return f"每 {' '.join(parts)}" if zh else f"every {' '.join(parts)}"


def _days(cron: CronFields, zh: bool) -> str | None:
    """The days it fires on; None when every day (the time says it all)."""
    every_day = _full(cron.day_of_month, 1, 31) and _full(cron.day_of_week, 0, 6)
    if every_day:
        text = None
    elif cron.days_either:
        joiner = "及" if zh else " and "
        text = f"{_month_days(cron.day_of_month, zh)}{joiner}{_week_days(cron.day_of_week, zh)}"
    elif cron.day_of_week.star:
        text = _month_days(cron.day_of_month, zh)
    else:  # the day of the month is `*`
        text = _week_days(cron.day_of_week, zh)
    if _full(cron.month, 1, 12):
        return text
    months = sorted(cron.month.values)
    if text is not None and not cron.days_either and cron.day_of_week.star:
        days = ("、" if zh else ", ").join(str(day) for day in sorted(cron.day_of_month.values))
        if zh:
            return f"每年 {'、'.join(str(month) for month in months)} 月 {days} 日"
        return f"yearly on {', '.join(_MONTHS_EN[month - 1] for month in months)} {days}"
    if zh:
        return f"{'、'.join(str(month) for month in months)} 月{text or '每天'}"
    within = f"in {', '.join(_MONTHS_EN[month - 1] for month in months)}"
    return f"{text} {within}" if text else f"daily {within}"


def _month_days(field: CronField, zh: bool) -> str:
    days = ("、" if zh else ", ").join(str(day) for day in sorted(field.values))
    return f"每月 {days} 日" if zh else f"monthly on day {days}"


def _week_days(field: CronField, zh: bool) -> str:
    days = [day for day in _MONDAY_FIRST if day in field.values]
    if days == [1, 2, 3, 4, 5]:
        return "工作日" if zh else "weekdays"
    if days == [6, 0]:
        return "周末" if zh else "weekends"
    if zh:
        return "每周" + "、".join(_WEEK_ZH[day] for day in days)
    return "every " + ", ".join(_WEEK_EN[day] for day in days)


def _time(cron: CronFields, zh: bool) -> tuple[str, bool]:
    """The times of day, and whether they are fixed clock times (`16:00`) rather than a repetition."""
    hours, minutes = sorted(cron.hour.values), sorted(cron.minute.values)
    if len(hours) * len(minutes) <= _MAX_TIMES_LISTED and len(hours) < 24:
        times = [f"{hour:02d}:{minute:02d}" for hour in hours for minute in minutes]
        return ("、" if zh else ", ").join(times), True
    every_minute = _step_from_zero(minutes, 60)
    if len(hours) == 24:
        if len(minutes) == 1:
            if minutes[0] == 0:
                return ("每小时整点" if zh else "hourly on the hour"), False
            return (f"每小时第 {minutes[0]} 分" if zh else f"hourly at :{minutes[0]:02d}"), False
        if every_minute == 1:
            return ("每分钟" if zh else "every minute"), False
        if every_minute:
            return (f"每 {every_minute} 分钟" if zh else f"every {every_minute} min"), False
    every_hour = _step_from_zero(hours, 24)
    if every_hour and len(minutes) == 1:
        at = "整点" if minutes[0] == 0 else f"第 {minutes[0]} 分"
        at_en = "on the hour" if minutes[0] == 0 else f"at :{minutes[0]:02d}"
        return (f"每 {every_hour} 小时{at}" if zh else f"every {every_hour} h {at_en}"), False
    if every_minute and hours == list(range(hours[0], hours[-1] + 1)):
        window = f"{hours[0]:02d}:00–{hours[-1]:02d}:59"
        step = "每分钟" if every_minute == 1 and zh else f"每 {every_minute} 分钟"
        step_en = "every minute" if every_minute == 1 else f"every {every_minute} min"
        return (f"{window} {step}" if zh else f"{step_en}, {window}"), False
    if zh:
        return f"{cron.hour.text} 时的第 {cron.minute.text} 分", False
    return f"minute {cron.minute.text} of hour {cron.hour.text}", False


def _full(field: CronField, low: int, high: int) -> bool:
    return field.values >= frozenset(range(low, high + 1))


def _step_from_zero(values: list[int], cycle: int) -> int | None:
    """The step when the values are 0, n, 2n, ... up to the cycle (`*/n`)."""
    step = values[1] - values[0] if len(values) > 1 else cycle
    return step if values == list(range(0, cycle, step)) and (len(values) > 1 or cycle == 1) else None
