"""The job definitions of the catalogue (`domain/catalogue.py`) with the settings applied.

Settings give each job's initial state and policies (`SCHEDULER_JOBS__<job_id>__TRIGGER=...`,
`__ENABLED`, `__OVERLAP`, `__MAX_ATTEMPTS`, `__DST_REPEATED`, `__DST_SKIPPED`, ...); a bad value stops
start-up with a message naming the job and the value. The scheduler registers these definitions and the
alerter sets its rules from them, both from the same settings (`infrastructure.job_catalogue_settings`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import tzinfo
from typing import Protocol

from contracts.job_parameters import InvalidParameters
from contracts.job_parameters import check_parameters
from domain.catalogue import CANARY
from domain.catalogue import DATA_SYNC_JOBS
from domain.catalogue import DEFAULT_POOL
from domain.catalogue import TUSHARE_TOKEN_MISSING
from domain.dependencies import graph_problem
from domain.job_definition import JobDefinition
from domain.job_definition import definition_of
from domain.job_overrides import JobOverride
from domain.job_overrides import apply_override
from domain.run_policy import DEFAULT_WINDOW_S
from domain.run_policy import WindowKind
from domain.trigger_setting import TriggerSpecError
from domain.trigger_setting import parse_trigger_setting


class CatalogueSettingsError(ValueError):
    """A job setting that cannot be used; the message names the job and the value."""


class CatalogueChoices(Protocol):
    """What the settings choose for the catalogue's jobs (`infrastructure.job_catalogue_settings`).

    The canary's trigger text, whether the workers have a tushare token (without one the tushare jobs start
    paused), the per-job settings by job id, the triggers' time zone and each job kind's worker pool.
    """

    canary_trigger: str
    tushare_token_set: bool
    jobs: dict[str, JobOverride]

    @property
    def zone(self) -> tzinfo:
        """The time zone of the triggers' wall clock."""

    def pool_of(self, job_kind: str) -> str:
        """The worker pool that runs `job_kind`."""


def load_definitions(settings: CatalogueChoices) -> dict[str, JobDefinition]:
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
            parse_trigger_setting(definition.trigger).build(settings.zone, definition.dst)
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


def default_definitions(settings: CatalogueChoices) -> list[JobDefinition]:
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
