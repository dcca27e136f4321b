"""The job kinds a worker can run: the canary and the data-sync catalogue."""

from __future__ import annotations

from services.workers.canary import CANARY_JOB_ID, pipeline_canary
from services.workers.job_api import JobFunction


def job_kinds() -> dict[str, JobFunction]:
    return {CANARY_JOB_ID: pipeline_canary}
