"""Alert rules from settings.

Defaults, per-job overrides, and each job's stale-data limit (its expected period, from its trigger, plus the
margin).
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from datetime import tzinfo
from typing import TypeVar

from domain.alert_rules import AlertRules
from domain.alert_rules import JobRules
from domain.alert_rules import SystemRules
from domain.job_definition import JobDefinition
from domain.same_fields import copied
from domain.trigger_setting import parse_trigger_setting
from services.alerter.settings import AlertSettings

# Fire times looked at to find a job's longest gap (a weekday cron has a weekend in it).
FIRES_LOOKED_AT = 12

T = TypeVar("T")


def expected_period_s(trigger_spec: str, zone: tzinfo, now: datetime) -> float | None:
    """The longest gap between the next fires of a trigger (None: it never fires again)."""
    trigger = parse_trigger_setting(trigger_spec).build(zone)
    fires: list[datetime] = []
    after = now - timedelta(microseconds=1)  # a fire at `now` counts
    for _ in range(FIRES_LOOKED_AT):
        fire = trigger.next_after(after)
        if fire is None:
            break
        fires.append(fire)
        after = fire
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(fires)]
    return max(gaps) if gaps else None


def alert_rules(
    alerts: AlertSettings, definitions: dict[str, JobDefinition], zone: tzinfo, now: datetime
) -> AlertRules:
    """The alert rules from the settings: the defaults, each job's own (from its definition), the system's."""
    default = copied(JobRules, alerts)  # the settings' rules of the same names; no stale-data limit
    system = SystemRules(alerts.no_leader_after_s, alerts.projector_lag_s, alerts.dead_letter_quiet_s)
    unknown = sorted(set(alerts.jobs) - set(definitions))
    if unknown:
        raise ValueError(f"alert settings name unknown jobs: {', '.join(unknown)}")
    per_job: dict[str, JobRules] = {}
    for job_id, definition in definitions.items():
        override = alerts.jobs.get(job_id)
        stale_after = _stale_after_s(alerts, definition, zone, now)
        if override is not None:
            if override.stale is False:
                stale_after = None
            elif override.stale_after_s is not None:
                stale_after = override.stale_after_s
        if override is None:
            per_job[job_id] = replace(default, stale_after_s=stale_after)
            continue
        slow = _pick(override.slow_factor, default.slow_factor)
        per_job[job_id] = JobRules(
            run_failed=_pick(override.run_failed, default.run_failed),
            run_missed=_pick(override.run_missed, default.run_missed),
            run_partial=_pick(override.run_partial, default.run_partial),
            consecutive_failures=_pick(override.consecutive_failures, default.consecutive_failures),
            stale_after_s=stale_after,
            slow_factor=None if slow == 0 else slow,
        )
    return AlertRules(default=default, per_job=per_job, system=system)


def _pick(value: T | None, default: T) -> T:
    return default if value is None else value


def _stale_after_s(
    alerts: AlertSettings, definition: JobDefinition, zone: tzinfo, now: datetime
) -> float | None:
    """Only jobs enabled by default are expected to succeed on schedule (the canary is paused)."""
    if not alerts.stale or not definition.enabled:
        return None
    period = expected_period_s(definition.trigger, zone, now)
    return None if period is None else period + alerts.stale_margin_s
