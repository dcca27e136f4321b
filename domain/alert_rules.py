"""Alert rules: which conditions open an incident for a job, and how severe each is (pure configuration)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from contracts.alert_events import AlertRule, Severity

SEVERITY: Mapping[AlertRule, Severity] = {
    "run_failed": "error",
    "run_missed": "warning",
    "consecutive_failures": "critical",
    "stale": "critical",
}


@dataclass(frozen=True)
class JobRules:
    """The rules of one job. `consecutive_failures` None: that rule is off; `stale_after_s` None: no
    stale-data rule (the job's expected period plus a margin, when set)."""

    run_failed: bool = True
    run_missed: bool = True
    consecutive_failures: int | None = 3
    stale_after_s: float | None = None


@dataclass(frozen=True)
class AlertRules:
    default: JobRules = field(default_factory=JobRules)
    per_job: Mapping[str, JobRules] = field(default_factory=dict)

    def for_job(self, job_id: str) -> JobRules:
        return self.per_job.get(job_id, self.default)
