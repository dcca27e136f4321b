"""The scheduler's name for the job definitions of `domain.job_definition` (shared with the alerter)."""

from __future__ import annotations

from domain.job_definition import JobDefinition
from domain.job_definition import definition_of

__all__ = ["JobDefinition", "definition_of"]
