"""Made-up methods and paths, as a scanner sends them: every answer is a 4xx with a JSON message (or a
page that exists), never a 5xx, and the service keeps answering and running jobs."""

from __future__ import annotations

import random
import string

import pytest

from tests.hostile.conftest import Stack
from tests.hostile.service_check import assert_still_serving

pytestmark = pytest.mark.asyncio(loop_scope="module")
REQUESTS = 300


def _method(chance: random.Random) -> str:
    if chance.random() < 0.4:
        return chance.choice(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
    return "".join(chance.choices(string.ascii_uppercase + "-_", k=chance.randint(1, 20)))


def _path(chance: random.Random) -> str:
    prefix = chance.choice(
        ["", "/api/scheduler", "/api/scheduler/jobs", "/api/scheduler/executions", "/docs"]
    )
    alphabet = string.ascii_letters + string.digits + "%-._~!$'()*+,;=:@"
    parts = ["".join(chance.choices(alphabet, k=chance.randint(1, 16))) for _ in range(chance.randint(0, 4))]
    return prefix + "/" + "/".join(parts)


async def test_random_methods_and_paths_get_a_clear_4xx(stack: Stack) -> None:
    chance = random.Random(20)
    statuses: set[int] = set()
    for _ in range(REQUESTS):
        method, path = _method(chance), _path(chance)
        headers = stack.admin if chance.random() < 0.5 else {}
        response = await stack.client.request(method, path, headers=headers)
        statuses.add(response.status_code)
        assert response.status_code < 500, (method, path, response.text)
        if response.status_code >= 400 and method != "HEAD":
            assert response.json()["detail"], (method, path)
    assert {404, 405} <= statuses
    await assert_still_serving(stack)
