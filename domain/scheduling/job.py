"""What the decider knows of a job, and its trigger (`domain.triggers`' `Trigger`, `next_after`).

The decider reads the scheduler's job definitions themselves (`domain.job_definition`): their id, name,
kind, kwargs, misfire grace time, coalescing, run policy and pool. `JobRules` names them as the decider's
arguments, so the fields are declared once, where the definitions are.
"""

from __future__ import annotations

from domain.job_definition import JobDefinition
from domain.triggers.protocol import Trigger

JobRules = JobDefinition

__all__ = ["JobRules", "Trigger"]
