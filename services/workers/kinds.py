"""The job kinds a worker can run: the canary and the data-sync catalogue."""

from __future__ import annotations

from domain.catalogue import CANARY_JOB_ID
from services.workers.canary import pipeline_canary
from services.workers.catalogue.environment import JobEnvironment
from services.workers.catalogue.registry import bound_jobs
from services.workers.job_api import JobFunction


def job_kinds(environment: JobEnvironment) -> dict[str, JobFunction]:
    """Every job kind, the catalogue's bound to `environment` (providers, market store, rate limits)."""
    return {CANARY_JOB_ID: pipeline_canary} | bound_jobs(environment)
