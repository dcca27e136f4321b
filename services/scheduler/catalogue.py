"""The scheduler's jobs.

The catalogue of `domain/catalogue.py` (the canary and the data-sync jobs), with the settings applied.

Settings give each job's initial state and policies (`SCHEDULER_JOBS__<job_id>__TRIGGER=...`,
`__ENABLED`, `__OVERLAP`, `__MAX_ATTEMPTS`, `__DST_REPEATED`, `__DST_SKIPPED`, ...); a bad value stops
start-up with a message naming the job and the value.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from contracts.job_parameters import InvalidParameters, check_parameters
from domain.catalogue import CANARY, DATA_SYNC_JOBS, DEFAULT_POOL, TUSHARE_TOKEN_MISSING
from domain.dependencies import graph_problem
from domain.run_policy import DEFAULT_WINDOW_S, OPTIONAL_POLICY_FIELDS, RunPolicy, WindowKind
from domain.triggers import DstPolicy
from services.scheduler.definitions import JobDefinition, definition_of
from services.scheduler.settings import JobOverride, SchedulerSettings
from services.scheduler.triggers import TriggerSpecError, build_trigger


class CatalogueSettingsError(ValueError):
    """A job setting that cannot be used; the message names the job and the value."""


def load_definitions(settings: SchedulerSettings) -> dict[str, JobDefinition]:
    """The job definitions: the catalogue's defaults with the settings' overrides.

    Raises CatalogueSettingsError when the settings name an unknown job or an override cannot be used.
    """
    definitions = {definition.job_id: definition for definition in default_definitions(settings)}
    unknown = sorted(set(settings.jobs) - set(definitions))
    if unknown:
        raise CatalogueSettingsError(f"settings name unknown jobs: {', '.join(unknown)}")
    for job_id, override in settings.jobs.items():
        definitions[job_id] = apply_override(definitions[job_id], override)
    for job_id, definition in definitions.items():
        pool = settings.pool_of(definition.job_kind)
        definitions[job_id] = replace(definition, pool=definition.pool if pool == DEFAULT_POOL else pool)
    for job_id, definition in definitions.items():
        try:
            build_trigger(definition.trigger, settings.zone, dst=definition.dst)
            check_parameters(definition.job_kind, definition.kwargs)
        except (TriggerSpecError, InvalidParameters) as error:
            raise CatalogueSettingsError(f"job {job_id}: {error}") from None
    for job_id, definition in definitions.items():
        definitions[job_id] = with_day_window(definition)
    triggers = {job_id: definition.trigger for job_id, definition in definitions.items()}
    problem = graph_problem(triggers, {job_id: item.policy for job_id, item in definitions.items()})
    if problem is not None:
        raise CatalogueSettingsError(problem)
    return definitions


def default_definitions(settings: SchedulerSettings) -> list[JobDefinition]:
    """The catalogue of `domain/catalogue.py` as the scheduler registers it before the per-job settings.

    The scheduler never sees the tushare token: `SCHEDULER_TUSHARE_TOKEN_SET` says whether the workers have
    one; without it the tushare jobs are registered paused, with the reason.
    """
    definitions = [definition_of(CANARY, trigger=settings.canary_trigger)]
    for entry in DATA_SYNC_JOBS:
        definition = definition_of(entry)
        if entry.needs_tushare and not settings.tushare_token_set:
            definition = replace(definition, enabled=False, disabled_reason=TUSHARE_TOKEN_MISSING)
        definitions.append(definition)
    return definitions


def with_day_window(definition: JobDefinition) -> JobDefinition:
    """The job with a day window when it has upstream jobs and no window set.

    A job with upstream jobs (`after:` trigger or `policy.after`) and no window set counts its
    upstreams' successes on the decision's calendar day (`window: day`), unless `WINDOW_S` asks for a
    rolling window.
    """
    policy = definition.policy
    if policy.window is not None or not (policy.after or definition.trigger.strip().startswith("after:")):
        return definition
    window: WindowKind = "rolling" if policy.window_s != DEFAULT_WINDOW_S else "day"
    return replace(definition, policy=replace(policy, window=window))


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
    policy_changes = {
        name: getattr(override, name)
        for name in OPTIONAL_POLICY_FIELDS
        if getattr(override, name) is not None
    }
    if override.after is not None:
        policy_changes["after"] = tuple(override.after)
    if policy_changes:
        changes["policy"] = replace(definition.policy, **policy_changes)
    if override.dst_repeated is not None or override.dst_skipped is not None:
        changes["dst"] = DstPolicy(
            repeated=override.dst_repeated or definition.dst.repeated,
            skipped=override.dst_skipped or definition.dst.skipped,
        )
    return replace(definition, **changes) if changes else definition


__all__ = ["CatalogueSettingsError", "RunPolicy", "load_definitions"]
