"""Start the system's processes for end-to-end tests and talk to its API as the web client does."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.jobs import sync_jobs_paused_env
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
NETWORK_GUARD = ROOT / "tests" / "network_guard"  # its sitecustomize refuses connections off this machine
ADMIN = ("admin", "e2e-admin-password-1")
JWT_SECRET = "e2e-jwt-secret-that-is-long-enough-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def base_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    """A service process's environment: no inherited `SCHEDULER_*`; data-sync jobs paused (tests/jobs.py)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SCHEDULER_")}
    env.update(sync_jobs_paused_env())
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([str(NETWORK_GUARD), str(ROOT)]),
            "SCHEDULER_DATA_DIR": str(data_dir),
            "SCHEDULER_ADMIN_USERNAME": ADMIN[0],
            "SCHEDULER_ADMIN_PASSWORD": ADMIN[1],
            "SCHEDULER_JWT_SECRET": JWT_SECRET,
            "SCHEDULER_HEARTBEAT_INTERVAL_S": "0.5",
            "SCHEDULER_LOG_LEVEL": "INFO",
        }
    )
    env.update(overrides)
    return env


class ServiceProcess:
    """One service started with `python -m <module>`, its output kept in a log file for failures."""

    def __init__(self, module: str, env: dict[str, str], log_dir: Path, name: str | None = None) -> None:
        self.name = name or module.rsplit(".", 1)[-1]
        self.log_path = log_dir / f"{self.name}.log"
        self._log = self.log_path.open("wb")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", module], cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def kill(self) -> None:
        """Stop at once, as a crash would (SIGKILL)."""
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def running(processes: list[ServiceProcess]) -> Iterator[list[ServiceProcess]]:
    try:
        yield processes
    except BaseException:
        for process in processes:
            sys.stderr.write(f"\n----- {process.name} log -----\n{process.output()[-6000:]}\n")
        raise
    finally:
        for process in reversed(processes):
            process.stop()


class ApiClient:
    """The calls the web client makes, with the envelope unwrapped."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10)

    async def close(self) -> None:
        await self.http.aclose()

    async def wait_ready(self, processes: list[ServiceProcess], timeout: float = 60) -> None:
        async def ready() -> bool:
            for process in processes:
                code = process.popen.poll()
                assert code is None, f"{process.name} exited with {code} while starting"
            try:
                return (await self.http.get("/healthz")).status_code == 200
            except httpx.TransportError:
                return False

        await wait_until(ready, timeout=timeout, interval=0.1, message="the API to answer /healthz")

    async def login(self, username: str = ADMIN[0], password: str = ADMIN[1]) -> None:
        response = await self.http.post("/api/auth/login", data={"username": username, "password": password})
        assert response.status_code == 200, response.text
        self.http.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    async def data(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(method, path, **kwargs)
        # A command may answer 202 "accepted, not yet applied" on a loaded machine; callers wait for the
        # state they need anyway (what a command's answer shows is tested in `tests/client_replay.py`).
        allowed = {200} if method == "GET" else {200, 202}
        assert response.status_code in allowed, f"{method} {path}: {response.status_code} {response.text}"
        body = response.json()
        assert body["success"] is True and "timestamp" in body
        return body["data"]

    async def wait_for_job(self, job_id: str, timeout: float = 60) -> dict[str, Any]:
        found: dict[str, Any] = {}

        async def listed() -> bool:
            jobs = await self.data("GET", "/api/scheduler/jobs")
            found.update(next((job for job in jobs if job["id"] == job_id), {}))
            return bool(found)

        await wait_until(listed, timeout=timeout, interval=0.1, message=f"job {job_id} to be listed")
        return found

    async def trigger(self, job_id: str, **kwargs: Any) -> str:
        data = await self.data("POST", f"/api/scheduler/jobs/{job_id}/trigger", json={"kwargs": kwargs})
        execution_id: str = data["execution_id"]
        return execution_id

    async def wait_for_execution(
        self, execution_id: str, statuses: set[str], timeout: float = 30
    ) -> dict[str, Any]:
        return await self.wait_for_execution_where(
            execution_id, lambda execution: execution["status"] in statuses, f"to reach {statuses}", timeout
        )

    async def wait_for_execution_where(
        self,
        execution_id: str,
        condition: Callable[[dict[str, Any]], bool],
        description: str,
        timeout: float = 30,
    ) -> dict[str, Any]:
        """The execution as the API lists it, once `condition` holds for it (the read models lag commands)."""
        seen: dict[str, Any] = {}

        async def reached() -> bool:
            page = await self.data("GET", "/api/scheduler/executions", params={"limit": 200})
            match = next((item for item in page["items"] if item["_id"] == execution_id), None)
            seen.clear()
            seen.update(match or {})
            return match is not None and condition(match)

        await wait_until(
            reached, timeout=timeout, interval=0.05, message=f"execution {execution_id} {description}"
        )
        return seen
