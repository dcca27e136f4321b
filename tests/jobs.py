"""The jobs a system test starts with: the canary only; every data-sync job registered paused.

A paused job never fires and never calls a data provider, so what a system test counts does not depend on
the time of day, and no test reaches tushare, akshare or baostock (the session's network guard would fail
it). This uses the ordinary per-job setting (`SCHEDULER_JOBS__<JOB_ID>__ENABLED=false`); a test that
needs a data-sync job enables that one again the same way.
"""

from __future__ import annotations

from typing import Any

from domain.catalogue import DATA_SYNC_JOBS
from services.embedded.settings import EmbeddedSettings

SYNC_JOB_IDS = tuple(entry.job_id for entry in DATA_SYNC_JOBS)


def sync_jobs_paused_env() -> dict[str, str]:
    """Environment variables for a service process: every data-sync job registered paused."""
    return {f"SCHEDULER_JOBS__{job_id.upper()}__ENABLED": "false" for job_id in SYNC_JOB_IDS}


def sync_jobs_paused() -> dict[str, dict[str, Any]]:
    """The `jobs` setting with every data-sync job paused, for settings built in the test's process."""
    return {job_id: {"enabled": False} for job_id in SYNC_JOB_IDS}


def embedded_settings(**values: Any) -> EmbeddedSettings:
    """Embedded settings for a test: no `.env` file, the data-sync jobs paused (merged with `jobs=`)."""
    jobs = sync_jobs_paused() | values.pop("jobs", {})
    return EmbeddedSettings(jobs=jobs, _env_file=None, **values)
