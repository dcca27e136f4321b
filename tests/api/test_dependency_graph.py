"""`GET /api/scheduler/dependencies`: the `after:` graph with each job's latest state."""

from __future__ import annotations

import httpx
import pytest

from infrastructure.store.sqlite_store import SQLiteStore
from tests.api import seed
from tests.api.envelope import error
from tests.api.envelope import ok
from tests.store_writes import put_execution
from tests.store_writes import put_job


@pytest.fixture(autouse=True)
async def graph(store: SQLiteStore) -> None:
    await seed.catalogue(store)  # quotes, basics, news: clock triggers
    await put_job(store, seed.job("review", trigger="after:quotes,news"))
    await put_job(store, seed.job("report", trigger="after:review,gone", paused=True))
    await put_execution(store, seed.execution("e-review", "review", status="failed", minutes=8))


async def test_the_graph_has_its_edges_layers_and_latest_states(
    client: httpx.AsyncClient, viewer: dict[str, str]
) -> None:
    response = await client.get("/api/scheduler/dependencies", headers=viewer)
    graph = ok(response)
    assert response.json()["message"] == "任务依赖图：4 个任务，3 条依赖"
    edges = {(edge["upstream"], edge["downstream"]) for edge in graph["edges"]}
    assert edges == {("quotes", "review"), ("news", "review"), ("review", "report")}  # `gone`: unknown
    nodes = {node["id"]: node for node in graph["nodes"]}
    assert set(nodes) == {"quotes", "news", "review", "report"}  # basics takes no part
    assert {job_id: node["layer"] for job_id, node in nodes.items()} == {
        "quotes": 0,
        "news": 0,
        "review": 1,
        "report": 2,
    }
    assert nodes["review"]["upstreams"] == ["quotes", "news"]
    assert nodes["review"]["latest_status"] == "failed"
    assert nodes["review"]["latest_execution_id"] == "e-review"
    assert nodes["review"]["latest_time"] == "2025-01-06T09:38:12+08:00"
    assert nodes["news"]["latest_execution_id"] == "e-news"
    assert nodes["report"]["paused"] is True and "latest_status" not in nodes["report"]
    assert nodes["quotes"]["display_name"] == "行情" and "display_name" not in nodes["news"]


async def test_every_job_on_request_and_in_english(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    headers = {**viewer, "Accept-Language": "en"}
    response = await client.get("/api/scheduler/dependencies", params={"all": "true"}, headers=headers)
    graph = ok(response)
    assert response.json()["message"] == "dependency graph: 5 jobs, 3 dependencies"
    assert {node["id"] for node in graph["nodes"]} == {"quotes", "news", "review", "report", "basics"}


async def test_bad_input_is_refused(client: httpx.AsyncClient, viewer: dict[str, str]) -> None:
    error(await client.get("/api/scheduler/dependencies", params={"all": "maybe"}, headers=viewer), 422)
    error(await client.get("/api/scheduler/dependencies"), 401)
