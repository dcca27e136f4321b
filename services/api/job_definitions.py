"""Jobs as data in the API.

The checks of an operator's definition (the same the scheduler makes again), the definition as the read model
holds it, versions and `If-Match`, and what to wait for.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import HTTPException
from fastapi import status
from fastapi.exceptions import RequestValidationError

from contracts.commands import CreateJob
from domain.catalogue import CANARY_JOB_ID
from domain.catalogue import CATALOGUE
from domain.dependencies import deletion_problem
from domain.records import JobRecord
from domain.scheduling.definition_commands import check_graph
from domain.scheduling.definition_commands import created_definition
from domain.scheduling.definitions import Definition
from domain.scheduling.definitions import InvalidDefinition
from domain.scheduling.definitions import check_definition
from domain.scheduling.definitions import default_policy
from domain.triggers import spec_from_legacy_text
from infrastructure.store.port import JobsReadModel
from services.api.job_definition_schemas import JobDefinitionOut
from services.api.read_your_writes import Applied
from services.api.views import iso

DATE_PARAMETERS = frozenset({"start_date", "trade_date"})


def invalid(error: InvalidDefinition) -> HTTPException | RequestValidationError:
    """The 4xx of a definition that cannot be used: 409 for a conflict, else 422 naming the field."""
    if error.conflict:
        return HTTPException(status.HTTP_409_CONFLICT, detail=str(error))
    return RequestValidationError([{"loc": ("body", error.field), "msg": str(error), "type": "value_error"}])


def checked(command: CreateJob, min_interval_s: float) -> dict[str, Any]:
    """The definition fields a create makes, checked (kind, trigger, kwargs); raises the 4xx."""
    try:
        definition = created_definition(command)
        check_definition(definition, min_interval_s)
    except InvalidDefinition as error:
        raise invalid(error) from None
    return definition.fields()


def live_graph(jobs: Iterable[JobRecord]) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """The live jobs' trigger texts and `policy.after`: the dependency graph an edit must keep sound."""
    triggers: dict[str, str] = {}
    gates: dict[str, tuple[str, ...]] = {}
    for job in jobs:
        if job.deleted:
            continue
        fields = definition_fields(job)
        triggers[job.job_id] = str(fields.get("trigger") or job.trigger)
        after = (fields.get("policy") or {}).get("after")
        if after:
            gates[job.job_id] = tuple(after)
    return triggers, gates


def check_dependencies(jobs: Iterable[JobRecord], job_id: str, fields: Mapping[str, Any]) -> None:
    """The 422 of a definition whose upstream jobs are unknown, the job itself, or a cycle.

    An `after:` trigger or `policy.after` naming an unknown job or the job itself, or closing a cycle (named:
    `a → b → a`), beside the live jobs.
    """
    definition = Definition(
        job_id=job_id,
        job_kind="",
        trigger=str(fields.get("trigger") or ""),
        policy=fields.get("policy") or {},
    )
    triggers, gates = live_graph(jobs)
    try:
        check_graph(definition, triggers, gates)
    except InvalidDefinition as error:
        raise invalid(error) from None


def refuse_deletion(jobs: Iterable[JobRecord], job_id: str) -> None:
    """The 409 of deleting a job that others run after (naming them)."""
    triggers, gates = live_graph(jobs)
    problem = deletion_problem(triggers, job_id, gates)
    if problem is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=problem)


def definition_fields(job: JobRecord) -> dict[str, Any]:
    """The job's editable fields.

    What its last registration or definition event said; for a record from before jobs were data, what can be
    read of it (its trigger, kwargs and the kind's default policy).
    """
    if job.definition is not None:
        return {**job.definition, "paused": job.paused}
    entry = CATALOGUE.get(job.job_kind)
    spec = spec_from_legacy_text(job.trigger)
    return {
        "trigger": spec.text if spec is not None else None,
        "kwargs": job.kwargs,
        "display_name": None,
        "description": None,
        "paused": job.paused,
        "policy": default_policy(entry) if entry is not None else {},
    }


def definition_out(job: JobRecord, zone: ZoneInfo) -> JobDefinitionOut:
    """The job's definition as the API shows it (times in the display zone)."""
    fields = definition_fields(job)
    return JobDefinitionOut(
        id=job.job_id,
        kind=job.job_kind,
        version=job.job_version,
        origin=job.origin,
        trigger=fields.get("trigger"),
        kwargs=fields.get("kwargs") or {},
        display_name=fields.get("display_name"),
        description=fields.get("description"),
        paused=job.paused,
        policy=fields.get("policy") or {},
        next_run_time=iso(job.next_run_time, zone),
        created_by=job.created_by,
        created_at=iso(job.created_at, zone),
    )


def etag(job: JobRecord) -> str:
    """The `ETag` of a job's definition: its version, quoted."""
    return f'"{job.job_version}"'


def matches(if_match: str | None, job: JobRecord) -> bool:
    """Whether an `If-Match` header names the job's current version (no header, or `*`: any version)."""
    if if_match is None or if_match.strip() == "*":
        return True
    tags = [tag.strip().removeprefix("W/").strip('"') for tag in if_match.split(",")]
    return str(job.job_version) in tags


def takes_date_range(kind: str, accepted: list[str]) -> bool:
    """A kind whose runs can be given a day (`trade_date`) or the first day of a range (`start_date`)."""
    return kind == CANARY_JOB_ID or bool(DATE_PARAMETERS & set(accepted))


def job_version_shown(store: JobsReadModel, job_id: str, version: int, *, deleted: bool = False) -> Applied:
    """The read model shows the job at `version` or later (deleted or not, as asked)."""

    async def check() -> bool:
        job = await store.get_job(job_id)
        return job is not None and job.job_version >= version and job.deleted == deleted

    return check


def live(job: JobRecord | None) -> JobRecord | None:
    """The job unless it was deleted."""
    return job if job is not None and not job.deleted else None
