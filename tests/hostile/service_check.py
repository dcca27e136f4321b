"""After each hostile request: the service still answers everyone, and a real run still goes through."""

from __future__ import annotations

import httpx

from tests.hostile.conftest import CANARY
from tests.hostile.conftest import Stack
from tests.waiting import wait_until


async def assert_still_serving(stack: Stack) -> None:
    """Every read answers 200 and a canary triggered now reaches success."""
    client, admin = stack.client, stack.admin
    for path in ("/healthz", "/api/scheduler/jobs", "/api/scheduler/executions", "/api/scheduler/events"):
        response = await client.get(path, headers=admin)
        assert response.status_code == 200, (path, response.text)
    trigger = await client.post(
        f"/api/scheduler/jobs/{CANARY}/trigger", json={"kwargs": {"duration_s": 0, "steps": 1}}, headers=admin
    )
    assert trigger.status_code == 200, trigger.text
    execution_id = trigger.json()["data"]["execution_id"]

    async def succeeded() -> bool:
        answer = await client.get(f"/api/scheduler/executions/{execution_id}", headers=admin)
        return answer.status_code == 200 and answer.json()["data"]["status"] == "success"

    await wait_until(succeeded, timeout=20, message=f"canary {execution_id} to succeed")


def refused(response: httpx.Response, status: int, *words: str) -> str:
    """The answer is `status` with a `detail` naming each of `words`; returns the detail."""
    assert response.status_code == status, response.text
    detail = str(response.json()["detail"])
    for word in words:
        assert word in detail, (word, detail)
    assert "Traceback" not in response.text
    return detail
