"""What the measurements run on: RabbitMQ virtual hosts, service processes, their memory, the API client.

Each bench run gets throw-away RabbitMQ virtual hosts (made with rabbitmqctl, deleted after) and a work
directory of its own, so nothing it does is seen by another run, a test or a developer's `make run`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import asynccontextmanager
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import httpx

from domain.catalogue import DATA_SYNC_JOBS
from infrastructure.event_loop import EventLoopKind

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
CACHE_DIR = RESULTS_DIR / "cache"
RABBITMQ_URL = os.environ.get("BENCH_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
ADMIN = ("admin", "bench-admin-password-1")
JWT_SECRET = "bench-jwt-secret-that-is-long-enough-0123456789"


class BenchError(RuntimeError):
    """A measurement could not be made (a service did not start, a deadline passed)."""


async def wait_for(
    predicate: Callable[[], Awaitable[bool]], *, timeout: float, interval: float, what: str
) -> float:
    """Poll `predicate` until true; returns the wall-clock time (time.time()) it was first seen true."""
    deadline = time.monotonic() + timeout
    while True:
        if await predicate():
            return time.time()
        if time.monotonic() > deadline:
            raise BenchError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(interval)


# --- RabbitMQ ------------------------------------------------------------------------------------------
def rabbitmqctl(*arguments: str) -> str:
    completed = subprocess.run(
        ["rabbitmqctl", "--quiet", *arguments], capture_output=True, text=True, timeout=60, check=False
    )
    if completed.returncode != 0:
        raise BenchError(f"rabbitmqctl {' '.join(arguments)} failed: {completed.stderr.strip()}")
    return completed.stdout


@contextmanager
def throwaway_vhost(purpose: str) -> Iterator[str]:
    """A fresh virtual host for one measurement; yields its AMQP URL and deletes it afterwards."""
    parts = urlsplit(RABBITMQ_URL)
    name = f"bench-{purpose}-{uuid.uuid4().hex[:8]}"
    rabbitmqctl("add_vhost", name)
    try:
        rabbitmqctl("set_permissions", "-p", name, parts.username or "guest", ".*", ".*", ".*")
        yield urlunsplit((parts.scheme, parts.netloc, "/" + quote(name, safe=""), "", ""))
    finally:
        rabbitmqctl("delete_vhost", name)


def broker_reachable() -> bool:
    parts = urlsplit(RABBITMQ_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), timeout=2):
            return True
    except OSError:
        return False


def redis_reachable() -> bool:
    parts = urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=2) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


# --- processes -------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def event_loop_kind() -> EventLoopKind:
    """The event loop of the services and of the bench's own process: uvloop, the services' default.

    `BENCH_EVENT_LOOP=asyncio` runs both on the standard loop instead, to compare.
    """
    return "asyncio" if os.environ.get("BENCH_EVENT_LOOP") == "asyncio" else "uvloop"


def service_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    """The environment of a service process: no inherited SCHEDULER_ settings, bench defaults, overrides.

    Retention is pushed out of reach (a century) so the scheduler's first retention round never prunes
    the generated data sets, whose timestamps are fixed (deterministic) and so grow old.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("SCHEDULER_")}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "SCHEDULER_DATA_DIR": str(data_dir),
            "SCHEDULER_ADMIN_USERNAME": ADMIN[0],
            "SCHEDULER_ADMIN_PASSWORD": ADMIN[1],
            "SCHEDULER_JWT_SECRET": JWT_SECRET,
            "SCHEDULER_JWT_EXPIRE_MINUTES": "1440",  # one sign-in for a long run (tokens last 15 min)
            "SCHEDULER_LOG_LEVEL": "INFO",
            # Bulk triggers: the canary allows 1,000 concurrent runs by default, a batch may hold more.
            "SCHEDULER_JOBS__PIPELINE_CANARY__MAX_CONCURRENT": "1000000",
            # The canary only: no data-sync job fires (or calls a provider) while a figure is measured.
            **{f"SCHEDULER_JOBS__{entry.job_id.upper()}__ENABLED": "false" for entry in DATA_SYNC_JOBS},
            **{
                f"SCHEDULER_RETENTION__{kind}_DAYS": "36500"
                for kind in ("SUCCESS", "FAILED", "CANCELLED", "MISSED", "SKIPPED", "HISTORY", "EVENT")
            },
        }
    )
    env["SCHEDULER_EVENT_LOOP"] = event_loop_kind()
    env.update(overrides)
    return env


def distributed_env(data_dir: Path, amqp_url: str, **overrides: str) -> dict[str, str]:
    return service_env(
        data_dir,
        SCHEDULER_BUS="rabbitmq",
        SCHEDULER_RABBITMQ_URL=amqp_url,
        SCHEDULER_STORE="sqlite",
        **overrides,
    )


# Processes running under `bench/cprofiled.py`: the ones `CpuMeter(profile=True)` signals around a batch.
PROFILED_PIDS: set[int] = set()


class ServiceProcess:
    """One process started with `python -m <module>`; its output goes to a log file in the work dir."""

    def __init__(
        self, module: str, env: dict[str, str], log_dir: Path, name: str, arguments: tuple[str, ...] = ()
    ) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        command = [sys.executable, "-m", module, *arguments]
        if os.environ.get("BENCH_CPROFILE") and module.startswith("services."):
            # CPU profile of each service process (`bench/cprofiled.py`), one file per process name.
            command = [sys.executable, "-m", "bench.cprofiled", module, *arguments]
            env = {**env, "BENCH_CPROFILE_NAME": name}
        self.popen = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        if command[2] == "bench.cprofiled":
            PROFILED_PIDS.add(self.popen.pid)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def check_alive(self) -> None:
        code = self.popen.poll()
        if code is not None:
            raise BenchError(f"{self.name} exited with {code}:\n{self.output()[-3000:]}")

    async def wait_for_log(self, text: str, timeout: float = 60) -> None:
        async def logged() -> bool:
            self.check_alive()
            return text in self.output()

        await wait_for(logged, timeout=timeout, interval=0.05, what=f"{self.name} to log {text!r}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        self._log.close()


class Processes:
    """The processes of one measurement, stopped in reverse order when it ends."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[ServiceProcess] = []

    def start(
        self, module: str, env: dict[str, str], name: str, arguments: tuple[str, ...] = ()
    ) -> ServiceProcess:
        process = ServiceProcess(module, env, self.log_dir, name, arguments)
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.started):
            process.stop()
        self.started.clear()


@contextmanager
def processes(log_dir: Path) -> Iterator[Processes]:
    group = Processes(log_dir)
    try:
        yield group
    finally:
        group.stop_all()


def rss_mib(pid: int) -> float:
    """Resident memory (VmRSS) of a process in MiB, from /proc; NaN when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class RssSampler:
    """Samples the RSS of some processes every `interval` s in the background; keeps each one's peak."""

    def __init__(self, pids: dict[str, int], interval: float = 0.1) -> None:
        self.pids = dict(pids)
        self.peaks: dict[str, float] = {}
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> RssSampler:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._sample()

    def _sample(self) -> None:
        for name, pid in self.pids.items():
            value = rss_mib(pid)
            if value == value:  # not NaN
                self.peaks[name] = max(self.peaks.get(name, 0.0), value)

    async def _run(self) -> None:
        while True:
            self._sample()
            await asyncio.sleep(self._interval)


# --- the API, as the web client uses it --------------------------------------------------------------
@dataclass
class Api:
    http: httpx.AsyncClient
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def trigger_canary(self, **kwargs: Any) -> str:
        response = await self.http.post(
            "/api/scheduler/jobs/pipeline_canary/trigger", json={"kwargs": kwargs}, headers=self.auth
        )
        if response.status_code != 200:
            raise BenchError(f"trigger answered {response.status_code}: {response.text[:300]}")
        execution_id: str = response.json()["data"]["execution_id"]
        return execution_id

    async def canary_status(self, execution_id: str) -> str | None:
        """The status of one canary run as `GET /api/scheduler/executions` lists it (newest first)."""
        response = await self.http.get(
            "/api/scheduler/executions",
            params={"job_id": "pipeline_canary", "limit": 20},
            headers=self.auth,
        )
        for item in response.json()["data"]["items"]:
            if item["_id"] == execution_id:
                status: str = item["status"]
                return status
        return None


@asynccontextmanager
async def api_session(
    base_url: str, watched: list[ServiceProcess], timeout: float = 90
) -> AsyncIterator[Api]:
    """Wait for the API to answer, sign in as the bench admin, wait for the canary job to be listed."""
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as http:

        async def healthy() -> bool:
            for process in watched:
                process.check_alive()
            try:
                return (await http.get("/healthz")).status_code == 200
            except httpx.TransportError:
                return False

        await wait_for(healthy, timeout=timeout, interval=0.1, what="the API to answer /healthz")
        response = await http.post("/api/auth/login", data={"username": ADMIN[0], "password": ADMIN[1]})
        if response.status_code != 200:
            raise BenchError(f"login failed: {response.status_code} {response.text[:300]}")
        api = Api(http, response.json()["access_token"])

        async def canary_listed() -> bool:
            for process in watched:
                process.check_alive()
            jobs = (await http.get("/api/scheduler/jobs", headers=api.auth)).json().get("data") or []
            return any(job["id"] == "pipeline_canary" for job in jobs)

        await wait_for(canary_listed, timeout=timeout, interval=0.1, what="pipeline_canary to be listed")
        yield api


def fresh_dir(parent: Path, name: str) -> Path:
    path = parent / name
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


@asynccontextmanager
async def one_worker_stack(data_dir: Path, name: str, **overrides: str) -> AsyncIterator[Api]:
    """The distributed stack (projector, scheduler, one worker, API) on a throw-away vhost, signed in.

    The projector consumes before the others start, and the worker is ready before the session is handed
    over; `overrides` are the processes' extra settings.
    """
    port = free_port()
    with throwaway_vhost(name) as url, processes(data_dir) as group:
        env = distributed_env(data_dir, url, SCHEDULER_PORT=str(port), **overrides)
        projector = group.start("services.projector", env, "projector")
        await projector.wait_for_log("consuming projector.events")
        group.start("services.scheduler", env, "scheduler")
        worker = group.start("services.workers", env, "worker-1")
        group.start("services.api", env, "api")
        async with api_session(f"http://127.0.0.1:{port}", group.started) as api:
            await worker.wait_for_log("ready (capacity")
            yield api
