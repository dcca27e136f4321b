"""The settings that shape the catalogue's jobs, read by the scheduler and the alerter alike.

The scheduler registers the jobs with them; the alerter sets each job's rules from the same definitions
(`domain.catalogue_definitions.load_definitions`), so both processes must read the same variables.
"""

from __future__ import annotations

from pydantic import Field
from pydantic import field_validator

from domain.job_overrides import JobOverride
from infrastructure.settings import CommonSettings


class JobCatalogueSettings(CommonSettings):
    """The canary's trigger, whether the workers have a tushare token, and the per-job settings."""

    canary_trigger: str = "interval:300"
    tushare_token_set: bool = Field(
        default=False,
        description="whether the workers have SCHEDULER_TUSHARE_TOKEN; without it the tushare jobs are "
        "registered paused (the scheduler itself never reads the token)",
    )
    jobs: dict[str, JobOverride] = Field(default_factory=dict)

    @field_validator("jobs")
    @classmethod
    def _job_ids_in_lower_case(cls, value: dict[str, JobOverride]) -> dict[str, JobOverride]:
        """Environment variables are often upper case (`SCHEDULER_JOBS__NEWS_SYNC__ENABLED`); ids are not."""
        return {job_id.lower(): override for job_id, override in value.items()}
