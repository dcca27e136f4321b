"""The jobs' dependency graph (`after:` triggers): nodes with their latest state, upstream → downstream."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import BaseModel
from pydantic import Field

from domain.dependencies import layers
from domain.dependencies import upstreams_of
from domain.records import ExecutionRecord
from infrastructure.store.port import JobView
from services.api.commands import done
from services.api.dependencies import Context
from services.api.messages import text
from services.api.route_declarations import SchedulerRouter
from services.api.schemas import Envelope
from services.api.schemas import optional
from services.api.schemas import optional_when
from services.api.views import iso

router = SchedulerRouter("jobs")


class DependencyNode(BaseModel):
    """One job of the graph, its layer (0: no upstream) and its latest execution (absent: none yet)."""

    id: str = Field(examples=["market_daily_review"])
    name: str
    display_name: str | None = optional()
    trigger: str = Field(examples=["after:akshare_historical_sync,baostock_historical_sync"])
    paused: bool
    layer: int = Field(ge=0)
    upstreams: list[str] = Field(default_factory=list)
    latest_execution_id: str | None = optional("the job's latest execution (absent: none yet)")
    latest_status: str | None = optional("its status", examples=["success"])
    latest_time: str | None = optional_when("when the latest execution ended, or began")


class DependencyEdge(BaseModel):
    """The downstream job runs after the upstream job."""

    upstream: str
    downstream: str


class DependencyGraph(BaseModel):
    """The jobs as nodes (with their latest state) and their `after:` dependencies as edges."""

    nodes: list[DependencyNode]
    edges: list[DependencyEdge]


IncludeAll = Annotated[bool, Query(description="every job, also those without dependencies")]


@router.read(
    "/dependencies",
    "The jobs' dependency graph with each job's latest state",
    Envelope[DependencyGraph],
    description="Nodes are the jobs that run after others or that others run after (every job with "
    "`all=true`); an edge says its downstream job runs after its upstream job (`after:` triggers), or "
    "waits for it at its fire (`policy.after`).",
)
async def get_dependency_graph(context: Context, all: IncludeAll = False) -> Envelope[DependencyGraph]:
    """The jobs' dependency graph with each job's latest state."""
    views = {view.job.job_id: view for view in await context.store.list_jobs()}
    gates = {
        job_id: tuple(after)
        for job_id, view in views.items()
        if (after := ((view.job.definition or {}).get("policy") or {}).get("after"))
    }
    upstreams = upstreams_of({job_id: view.job.trigger for job_id, view in views.items()}, gates)
    edges = [
        DependencyEdge(upstream=upstream, downstream=job_id)
        for job_id, ups in sorted(upstreams.items())
        for upstream in ups
        if upstream in views
    ]
    linked = {edge.upstream for edge in edges} | {edge.downstream for edge in edges}
    depth = layers(upstreams)
    latest = await context.store.last_executions()
    nodes = [
        _node(view, depth.get(job_id, 0), upstreams.get(job_id, ()), latest.get(job_id), context)
        for job_id, view in views.items()
        if all or job_id in linked
    ]
    graph = DependencyGraph(nodes=nodes, edges=edges)
    message = text("dependencies_listed", nodes=len(nodes), edges=len(edges))
    return done(context, message, graph)


def _node(
    view: JobView, layer: int, ups: tuple[str, ...], record: ExecutionRecord | None, context: Context
) -> DependencyNode:
    job = view.job
    moment = None if record is None else record.finished_at or record.started_at or record.timestamp
    return DependencyNode(
        id=job.job_id,
        name=job.name,
        display_name=view.metadata.display_name if view.metadata is not None else None,
        trigger=job.trigger,
        paused=job.paused,
        layer=layer,
        upstreams=list(ups),
        latest_execution_id=record.execution_id if record is not None else None,
        latest_status=record.status if record is not None else None,
        latest_time=iso(moment, context.zone),
    )
