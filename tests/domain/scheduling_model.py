"""Jobs, triggers and clocks for the decider's tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from domain.run_policy import RunPolicy
from services.scheduler.definitions import JobDefinition

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
PRODUCER = "scheduler:test"

JOB = JobDefinition(
    job_id="every_minute",
    name="每分钟",
    job_kind="pipeline_canary",
    trigger="interval:60",
    kwargs={"duration_s": 0},
    misfire_grace_time=30,
    policy=RunPolicy(overlap="skip", max_attempts=2, max_catch_up_records=5),
)


@dataclass(frozen=True)
class Every:
    """A trigger firing every `seconds` from T0 (instants in UTC)."""

    seconds: int

    def next_after(self, instant: datetime) -> datetime | None:
        elapsed = (instant - T0).total_seconds()
        steps = int(elapsed // self.seconds) + 1 if elapsed >= 0 else 0
        return T0 + timedelta(seconds=self.seconds * steps)
