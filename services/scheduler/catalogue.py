"""The scheduler's job catalogue: the built-in canary plus the data-sync jobs, with settings applied.

Settings give each job's initial state and policies (`SCHEDULER_JOBS__<job_id>__TRIGGER=...`,
`__ENABLED`, `__OVERLAP`, `__MAX_ATTEMPTS`, ...); a bad value stops start-up with a message naming the job
and the value.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from contracts.job_parameters import InvalidParameters, check_parameters
from domain.run_policy import RunPolicy
from services.scheduler.definitions import JobDefinition, canary_definition
from services.scheduler.settings import JobOverride, SchedulerSettings
from services.scheduler.triggers import TriggerSpecError, build_trigger


class CatalogueSettingsError(ValueError):
    """A job setting that cannot be used; the message names the job and the value."""


def load_definitions(settings: SchedulerSettings) -> dict[str, JobDefinition]:
    definitions = {definition.job_id: definition for definition in default_definitions(settings)}
    unknown = sorted(set(settings.jobs) - set(definitions))
    if unknown:
        raise CatalogueSettingsError(f"settings name unknown jobs: {', '.join(unknown)}")
    for job_id, override in settings.jobs.items():
        definitions[job_id] = apply_override(definitions[job_id], override)
    for job_id, definition in definitions.items():
        definitions[job_id] = replace(definition, pool=settings.pool_of(definition.job_kind))
    for job_id, definition in definitions.items():
        try:
            build_trigger(definition.trigger, settings.zone)
            check_parameters(definition.job_kind, definition.kwargs)
        except (TriggerSpecError, InvalidParameters) as error:
            raise CatalogueSettingsError(f"job {job_id}: {error}") from None
    return definitions


def default_definitions(settings: SchedulerSettings) -> list[JobDefinition]:
    """The canary and the data-sync catalogue (tushare jobs come disabled without a token)."""
    from services.workers.catalogue.registry import configured_catalogue
    from services.workers.catalogue.settings import CatalogueSettings

    catalogue = configured_catalogue(CatalogueSettings())
    return [canary_definition(settings.canary_trigger)] + [
        JobDefinition(
            job_id=spec.job_id,
            name=spec.name,
            job_kind=spec.job_kind,
            trigger=spec.trigger,
            enabled=spec.enabled,
            disabled_reason=spec.disabled_reason,
        )
        for spec in catalogue.values()
    ]


def apply_override(definition: JobDefinition, override: JobOverride) -> JobDefinition:
    changes: dict[str, Any] = {}
    if override.trigger is not None:
        changes["trigger"] = override.trigger
    if override.enabled is not None:
        changes["enabled"] = override.enabled
        changes["disabled_reason"] = None if override.enabled else "disabled by settings"
    if override.kwargs is not None:
        changes["kwargs"] = {**definition.kwargs, **override.kwargs}
    if override.misfire_grace_time is not None:
        changes["misfire_grace_time"] = override.misfire_grace_time
    policy_fields = ("overlap", "max_concurrent", "catch_up", "max_attempts", "retry_backoff_s", "timeout_s")
    policy_changes = {
        name: getattr(override, name) for name in policy_fields if getattr(override, name) is not None
    }
    if policy_changes:
        changes["policy"] = replace(definition.policy, **policy_changes)
    return replace(definition, **changes) if changes else definition


__all__ = ["CatalogueSettingsError", "RunPolicy", "load_definitions"]
