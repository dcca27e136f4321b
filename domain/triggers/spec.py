"""Trigger texts, parsed, then built.

Trigger texts: a crontab expression or macro, `HH:MM` (daily), `interval:SECONDS`, or `after:JOB[,JOB...]`
(the job runs when its upstream jobs have succeeded: `domain.dependencies`); parsed, then built.

Parsing is separate from building so a text can be checked (and described) without a timezone.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import datetime
from datetime import tzinfo

from domain.triggers.cron import CronTrigger
from domain.triggers.cron_fields import CronFields
from domain.triggers.cron_fields import parse_cron
from domain.triggers.dst import DEFAULT_DST_POLICY
from domain.triggers.dst import DstPolicy
from domain.triggers.errors import TriggerError
from domain.triggers.interval import IntervalTrigger
from domain.triggers.never import NeverTrigger

MAX_TRIGGER_CHARS = 500
MAX_INTERVAL_S = 366 * 86_400
_DAILY = re.compile(r"^(\d{1,2}):(\d{2})$")
_INTERVAL = re.compile(r"^interval:(.*)$")
_AFTER = re.compile(r"^after:(.*)$", re.DOTALL)
_JOB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$")
MAX_UPSTREAMS = 20
# Interval fires keep their phase on this wall time of the trigger's zone, whichever scheduler computes them.
INTERVAL_ANCHOR = datetime(2000, 1, 1)


@dataclass(frozen=True)
class TriggerSpec:
    """A parsed trigger text.

    Exactly one of `cron` (with `daily` set for `HH:MM`), `interval_s` or `after` (the upstream job ids of a
    dependency trigger, which never fires on the clock).
    """

    text: str
    cron: CronFields | None = None
    interval_s: int | None = None
    daily: bool = False
    after: tuple[str, ...] = ()

    def build(
        self, zone: tzinfo, dst: DstPolicy = DEFAULT_DST_POLICY
    ) -> CronTrigger | IntervalTrigger | NeverTrigger:
        """The trigger this spec describes in `zone`: cron, interval, or never (for `after:` jobs)."""
        if self.after:
            return NeverTrigger()
        if self.cron is not None:
            return CronTrigger(self.cron, zone, dst)
        assert self.interval_s is not None
        return IntervalTrigger(self.interval_s, INTERVAL_ANCHOR.replace(tzinfo=zone))

    def shortest_gap_s(self) -> int:
        """A lower bound of the time between two fires.

        Cron: from its minute and hour lists; a dependency trigger never fires on the clock (its bound is the
        longest interval).
        """
        if self.after:
            return MAX_INTERVAL_S
        if self.interval_s is not None:
            return self.interval_s
        assert self.cron is not None
        minutes = sorted(self.cron.minute.values)
        if len(minutes) > 1:
            return 60 * _cyclic_gap(minutes, 60)
        hours = sorted(self.cron.hour.values)
        return 3600 * _cyclic_gap(hours, 24) if len(hours) > 1 else 86_400


def parse_trigger(text: str, *, min_interval_s: float | None = None) -> TriggerSpec:
    """Parse a trigger text; `min_interval_s` refuses triggers that can fire more often than that."""
    spec = _parse(text)
    if min_interval_s is not None and spec.shortest_gap_s() < min_interval_s:
        field = "interval" if spec.interval_s is not None else "minute"
        raise TriggerError(
            field,
            f"fires every {spec.shortest_gap_s()} s, more often than the floor of {min_interval_s:g} s",
        )
    return spec


def _parse(text: str) -> TriggerSpec:
    if len(text) > MAX_TRIGGER_CHARS:
        raise TriggerError("trigger", f"a trigger is at most {MAX_TRIGGER_CHARS} characters")
    stripped = text.strip()
    if match := _DAILY.match(stripped):
        hour, minute = int(match[1]), int(match[2])
        if hour > 23 or minute > 59:
            raise TriggerError("time of day", "a time of day is HH:MM, 00:00-23:59")
        return TriggerSpec(stripped, cron=parse_cron(f"{minute} {hour} * * *"), daily=True)
    if match := _INTERVAL.match(stripped):
        return TriggerSpec(stripped, interval_s=_interval_seconds(match[1]))
    if match := _AFTER.match(stripped):
        upstreams = _upstream_ids(match[1])
        return TriggerSpec(f"after:{','.join(upstreams)}", after=upstreams)
    if not stripped.startswith("@") and len(stripped.split()) != 5:
        raise TriggerError(
            "trigger", "expected a 5-field cron expression, a macro (@daily), HH:MM or interval:SECONDS"
        )
    return TriggerSpec(stripped, cron=parse_cron(stripped))


def _interval_seconds(text: str) -> int:
    if not text.isdigit() or len(text) > 9:
        raise TriggerError("interval", f"interval {text[:20]!r} is not a whole number of seconds")
    seconds = int(text)
    if not 1 <= seconds <= MAX_INTERVAL_S:
        raise TriggerError("interval", f"interval {seconds} is outside 1-{MAX_INTERVAL_S} seconds")
    return seconds


def _upstream_ids(text: str) -> tuple[str, ...]:
    """The job ids of `after:a,b` (spaces around the commas allowed), each once, in the order given."""
    ids = [part.strip() for part in text.split(",")]
    if not text.strip() or any(not part for part in ids):
        raise TriggerError("after", "after: names one or more job ids separated by commas")
    for job_id in ids:
        if not _JOB_ID.match(job_id):
            raise TriggerError("after", f"{job_id[:50]!r} is not a job id")
    unique = tuple(dict.fromkeys(ids))
    if len(unique) > MAX_UPSTREAMS:
        raise TriggerError("after", f"a job depends on at most {MAX_UPSTREAMS} jobs")
    return unique


def _cyclic_gap(values: list[int], cycle: int) -> int:
    gaps = [later - earlier for earlier, later in itertools.pairwise(values)]
    return min([*gaps, values[0] + cycle - values[-1]])
