"""The job kinds a worker can run: the canary and the data-sync catalogue."""

from __future__ import annotations

from services.workers.canary import CANARY_JOB_ID, pipeline_canary
from services.workers.catalogue.environment import JobEnvironment
from services.workers.catalogue.registry import configured_catalogue
from services.workers.job_api import JobFunction


def job_kinds(environment: JobEnvironment) -> dict[str, JobFunction]:
    """Every job kind, the catalogue's bound to `environment` (providers, market store, rate limits)."""
    catalogue = configured_catalogue(environment.settings, environment)
    return {CANARY_JOB_ID: pipeline_canary} | {spec.job_kind: spec.function for spec in catalogue.values()}
