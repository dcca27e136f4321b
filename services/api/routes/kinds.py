"""Kinds: the code workers can run, of which jobs are made (parameters, defaults)."""

from __future__ import annotations

from contracts.job_parameters import accepted_parameters
from contracts.job_parameters import parameters_schema
from domain.catalogue import CATALOGUE
from domain.scheduling.definitions import default_policy
from services.api.commands import done
from services.api.dependencies import Context
from services.api.job_definition_schemas import KindOut
from services.api.job_definitions import takes_date_range
from services.api.messages import text
from services.api.route_declarations import SchedulerRouter
from services.api.schemas import Envelope

router = SchedulerRouter("jobs")


def kinds() -> list[KindOut]:
    """Every kind of the catalogue, ordered by name."""
    listed: list[KindOut] = []
    for kind in sorted(CATALOGUE):
        entry = CATALOGUE[kind]
        accepted = accepted_parameters(kind)
        listed.append(
            KindOut(
                kind=kind,
                display_name=entry.name,
                source=entry.source,
                description=entry.description or entry.notes,
                json_schema=parameters_schema(kind),
                accepted=accepted,
                default_trigger=entry.trigger,
                default_policy=default_policy(entry),
                default_kwargs=dict(entry.kwargs),
                takes_date_range=takes_date_range(kind, accepted),
            )
        )
    return listed


@router.read(
    "/kinds",
    "The kinds jobs are made of: parameters (JSON schema), default trigger and policy",
    Envelope[list[KindOut]],
    response_model_by_alias=True,
)
async def list_kinds(context: Context) -> Envelope[list[KindOut]]:
    """The kinds jobs are made of: parameters (JSON schema), default trigger and policy."""
    data = kinds()
    return done(context, text("kinds_listed", count=len(data)), data)
