"""The scheduler's job catalogue: the built-in canary plus the data-sync jobs of the workers' catalogue."""

from __future__ import annotations

from services.scheduler.definitions import JobDefinition, canary_definition
from services.scheduler.settings import SchedulerSettings


def load_definitions(settings: SchedulerSettings) -> dict[str, JobDefinition]:
    definitions = [canary_definition(settings.canary_trigger)]
    return {definition.job_id: definition for definition in definitions}
