"""Alert rules: which conditions open an incident, and how severe each is.

Rules for a job or for the system; pure configuration, plus the operators' overrides folded from
`AlertRulesUpdated`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace

from contracts.alert_events import AlertRule
from contracts.alert_events import RuleOverride
from contracts.alert_events import Severity

SEVERITY: Mapping[AlertRule, Severity] = {
    "run_failed": "error",
    "run_missed": "warning",
    "run_partial": "warning",
    "consecutive_failures": "critical",
    "stale": "critical",
    "run_slow": "warning",
    "no_leader": "critical",
    "projector_lag": "error",
    "dead_lettered": "error",
}
# System incidents name a subject in place of a job.
SYSTEM_SUBJECT: Mapping[AlertRule, str] = {
    "no_leader": "scheduler",
    "projector_lag": "projector",
    "dead_lettered": "dead-letter",
}
# A run is "far longer than usual" only once its job has this many finished runs to compare with.
MIN_DURATION_SAMPLES = 5


@dataclass(frozen=True)
class JobRules:
    """The rules of one job.

    `consecutive_failures` None: that rule is off; `stale_after_s` None: no stale-data rule (the job's
    expected period plus a margin, when set); `slow_factor` None: no rule on a run's duration (else: a run
    longer than this times the p95 of the job's recent durations).
    """

    run_failed: bool = True
    run_missed: bool = True
    run_partial: bool = True
    consecutive_failures: int | None = 3
    stale_after_s: float | None = None
    slow_factor: float | None = 3.0


@dataclass(frozen=True)
class SystemRules:
    """The rules about the system as a whole.

    `no_leader_after_s`: no active scheduler's heartbeat for that long (None: off); `projector_lag_s`:
    read models behind the log by more than that (None: off); `dead_letter_quiet_s`: a dead-letter incident
    resolves after that long without a new one.
    """

    no_leader_after_s: float | None = 60.0
    projector_lag_s: float | None = 120.0
    dead_letter_quiet_s: float = 3600.0


def overridden(rules: JobRules, override: RuleOverride) -> JobRules:
    """`rules` with the values the override sets (0 turns a threshold off)."""

    def threshold(value: float | None, current: float | None) -> float | None:
        if value is None:
            return current
        return None if value == 0 else value

    consecutive = threshold(override.consecutive_failures, rules.consecutive_failures)
    return replace(
        rules,
        run_failed=rules.run_failed if override.run_failed is None else override.run_failed,
        run_missed=rules.run_missed if override.run_missed is None else override.run_missed,
        run_partial=rules.run_partial if override.run_partial is None else override.run_partial,
        consecutive_failures=None if consecutive is None else int(consecutive),
        stale_after_s=threshold(override.stale_after_s, rules.stale_after_s),
        slow_factor=threshold(override.slow_factor, rules.slow_factor),
    )


@dataclass(frozen=True)
class AlertRules:
    """The alert rules from the settings: the default for every job, per-job rules and the system rules."""

    default: JobRules = field(default_factory=JobRules)
    per_job: Mapping[str, JobRules] = field(default_factory=dict)
    system: SystemRules = field(default_factory=SystemRules)

    def for_job(self, job_id: str, overrides: Mapping[str | None, RuleOverride] | None = None) -> JobRules:
        """The settings' rules of the job, then the operators' override of every job, then of this one."""
        rules = self.per_job.get(job_id, self.default)
        for scope in (None, job_id):
            override = (overrides or {}).get(scope)
            if override is not None:
                rules = overridden(rules, override)
        return rules
