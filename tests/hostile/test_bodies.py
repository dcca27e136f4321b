"""Bodies an attacker or a careless admin sends: each refused with a 4xx naming the limit, before anything
is published, and the service keeps answering everyone (reads, and a real run end to end)."""

from __future__ import annotations

import json

import httpx
import pytest

from contracts.json_bounds import INPUT_LIMITS
from tests.hostile.conftest import CANARY
from tests.hostile.conftest import Stack
from tests.hostile.service_check import assert_still_serving
from tests.hostile.service_check import refused

pytestmark = pytest.mark.asyncio(loop_scope="module")
TRIGGER = f"/api/scheduler/jobs/{CANARY}/trigger"
METADATA = f"/api/scheduler/jobs/{CANARY}/metadata"


def nested(depth: int) -> str:
    """`{"kwargs": {"x": [[...]]}}` with `depth` levels in all."""
    return '{"kwargs": {"x": ' + "[" * (depth - 2) + "]" * (depth - 2) + "}}"


async def _post(stack: Stack, path: str, body: str, method: str = "POST") -> httpx.Response:
    headers = {**stack.admin, "Content-Type": "application/json"}
    return await stack.client.request(method, path, content=body.encode(), headers=headers)


@pytest.mark.parametrize("depth", [10, 32, 33, 200, 1000, 10_000])
async def test_nesting_from_10_to_10000_levels_is_refused(stack: Stack, depth: int) -> None:
    response = await _post(stack, TRIGGER, nested(depth))
    if depth <= INPUT_LIMITS.max_depth:  # within the depth limit: the canary has no parameter `x`
        refused(response, 422, "unknown parameter x", "duration_s, steps, fail")
    else:
        refused(response, 422, f"nested deeper than {INPUT_LIMITS.max_depth} levels")
    refused(await _post(stack, METADATA, '{"display_name": ' + "[" * depth + "]" * depth + "}", "PUT"), 422)
    await assert_still_serving(stack)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        pytest.param('{"kwargs": {"duration_s": NaN}}', ["NaN is not allowed"], id="nan"),
        pytest.param('{"kwargs": {"duration_s": Infinity}}', ["Infinity is not allowed"], id="infinity"),
        pytest.param('{"kwargs": {"steps": -Infinity}}', ["-Infinity is not allowed"], id="minus-infinity"),
        pytest.param('{"kwargs": {"duration_s": 1e999}}', ["NaN and Infinity"], id="overflow-to-infinity"),
        pytest.param(json.dumps({"kwargs": {"x": list(range(5000))}}), ["more than 1000 items"], id="array"),
        pytest.param(json.dumps({"kwargs": {str(i): i for i in range(2000)}}), ["more than 1000"], id="keys"),
        pytest.param(json.dumps({"kwargs": {"x": "a" * 60_000}}), ["longer than 4096"], id="long-string"),
        pytest.param(json.dumps({"kwargs": {"x\u0000": 1}}), ["control characters"], id="control-key"),
        pytest.param(json.dumps({"kwargs": {"fail": "\u001b[31m"}}), ["control characters"], id="control"),
        pytest.param(json.dumps({"kwargs": {"steps": 10**9}}), ["steps", "10000"], id="steps"),
        pytest.param(json.dumps({"kwargs": {"duration_s": 86400 * 365}}), ["duration_s"], id="duration"),
        pytest.param(json.dumps({"kwargs": {"steps": "4"}}), ["steps", "valid integer"], id="type"),
        pytest.param(json.dumps({"kwargs": {"rm": "-rf"}}), ["unknown parameter rm"], id="unknown"),
    ],
)  # fmt: skip
async def test_hostile_trigger_bodies_are_refused_with_the_limit_named(
    stack: Stack, body: str, words: list[str]
) -> None:
    before = await _counts(stack)
    refused(await _post(stack, TRIGGER, body), 422, *words)
    await assert_still_serving(stack)  # triggers one canary run of its own
    executions, rejected = await _counts(stack)
    assert (executions, rejected) == (before[0] + 1, before[1])  # the refused body published nothing


async def _counts(stack: Stack) -> tuple[int, int]:
    """Executions, and commands the scheduler rejected (what a published bad trigger would leave)."""
    executions = await stack.client.get("/api/scheduler/executions", headers=stack.admin)
    rejected = await stack.client.get(
        "/api/scheduler/events", params={"type": "CommandRejected"}, headers=stack.admin
    )
    return executions.json()["data"]["total"], rejected.json()["data"]["total"]


async def test_control_characters_and_oversized_metadata_are_refused(stack: Stack) -> None:
    refused(await _post(stack, METADATA, json.dumps({"display_name": "a\u0007b"}), "PUT"), 422)
    refused(await _post(stack, METADATA, json.dumps({"description": "x" * 100_000}), "PUT"), 413)
    await assert_still_serving(stack)


async def test_each_job_publishes_its_parameter_schema(stack: Stack) -> None:
    response = await stack.client.get(f"/api/scheduler/jobs/{CANARY}/parameters", headers=stack.admin)
    assert response.status_code == 200
    assert response.json()["message"] == f"任务 {CANARY} 的参数说明"
    english = await stack.client.get(
        f"/api/scheduler/jobs/{CANARY}/parameters", headers=stack.admin | {"Accept-Language": "en"}
    )
    assert english.json()["message"] == f"Parameters of job {CANARY}"
    data = response.json()["data"]
    assert data["accepted"] == [
        "duration_s",
        "steps",
        "fail",
        "partial",
        "log_lines",
        "trade_date",
        "log_level",
    ]
    schema = data["schema"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["steps"]["maximum"] == 10_000
    assert schema["properties"]["duration_s"]["maximum"] == 3600
