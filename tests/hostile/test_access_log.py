"""Tokens in query strings never reach the logs of a real server (uvicorn's access log included), whatever
their encoding: the embedded mode as a process, its whole output read afterwards."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from tests.e2e.harness import ApiClient
from tests.e2e.harness import ServiceProcess
from tests.e2e.harness import base_env
from tests.e2e.harness import free_port
from tests.e2e.harness import running

pytestmark = pytest.mark.e2e


async def test_no_token_in_the_logs(tmp_path: Path) -> None:
    port = free_port()
    process = ServiceProcess(
        "services.embedded", base_env(tmp_path / "data", SCHEDULER_PORT=str(port)), tmp_path
    )
    with running([process]):
        client = ApiClient(f"http://127.0.0.1:{port}")
        try:
            await client.wait_ready([process])
            await client.login()
            token = client.http.headers["Authorization"].removeprefix("Bearer ")
            signature = token.rsplit(".", 1)[1]
            queries = [
                f"access_token={token}",
                f"job_id=a&access_token={quote(token, safe='')}",
                f"access%5Ftoken={token}",
                f"%61ccess_token%3D{token}",
                f"access_token={token.replace('.', '%2E')}",
                f"access%255Ftoken%253D{token}",
            ]
            for query in queries:
                for path in ("/healthz", "/api/scheduler/jobs", "/no/such/page"):
                    await client.http.get(f"{path}?{query}")
        finally:
            await client.close()
    output = process.output()
    assert "GET /healthz?" in output, "the access log is on"
    assert signature not in output and quote(signature, safe="") not in output
    assert token.split(".")[1] not in output
