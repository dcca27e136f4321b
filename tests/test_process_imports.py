"""The scheduler and the API (and the projector and the alerter) start without pandas or any market library:
those are the workers' alone.

Each service is started for real (`python -m services.<name>`, in-process bus, SQLite in a temporary
directory), stopped with SIGTERM once it is up, and reports the modules it had loaded as it exits.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.harness import ADMIN
from tests.e2e.harness import JWT_SECRET
from tests.e2e.harness import ROOT
from tests.e2e.harness import free_port
from tests.waiting import wait_until

PROVIDER_MODULES = ("pandas", "numpy", "tushare", "akshare", "baostock", "services.workers")

# Runs the service's `__main__`; at exit (SIGTERM included) prints which PROVIDER_MODULES it had loaded.
LAUNCHER = """
import atexit, json, runpy, signal, sys
names, module = json.loads(sys.argv[1]), sys.argv[2]
sys.argv = [module]  # the service's own command line: no arguments
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # uvicorn re-raises the signal it handled
report = lambda: print("LOADED=" + json.dumps(sorted(n for n in names if n in sys.modules)), flush=True)
atexit.register(report)
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


def environment(data_dir: Path, **overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SCHEDULER_")}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "SCHEDULER_DATA_DIR": str(data_dir),
            "SCHEDULER_BUS": "memory",
            "SCHEDULER_LIVENESS_FILE": str(data_dir / "alive"),
            "SCHEDULER_ADMIN_USERNAME": ADMIN[0],
            "SCHEDULER_ADMIN_PASSWORD": ADMIN[1],
            "SCHEDULER_JWT_SECRET": JWT_SECRET,
        }
    )
    env.update(overrides)
    return env


def launch(
    module: str, env: dict[str, str], names: tuple[str, ...] = PROVIDER_MODULES
) -> subprocess.Popen[str]:
    """`module` started through LAUNCHER (reporting which of `names` it loaded), its output piped."""
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, json.dumps(names), module],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def exists(path: Path) -> bool:
    return path.exists()


async def loaded_modules(
    module: str, env: dict[str, str], ready: httpx.URL | Path, names: tuple[str, ...] = PROVIDER_MODULES
) -> list[str]:
    """Start `module`, wait until it is up (a liveness file, or a URL answering 200), stop it, report."""
    process = launch(module, env, names)
    try:

        async def up() -> bool:
            assert process.poll() is None, f"{module} exited with {process.returncode}"
            if isinstance(ready, Path):
                return exists(ready)
            try:
                async with httpx.AsyncClient() as client:
                    return (await client.get(ready)).status_code == 200
            except httpx.TransportError:
                return False

        await wait_until(up, timeout=60, interval=0.1, message=f"{module} to start")
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
    line = next((line for line in output.splitlines() if line.startswith("LOADED=")), None)
    assert line is not None, output[-4000:]
    loaded: list[str] = json.loads(line.removeprefix("LOADED="))
    return loaded


@pytest.mark.timeout(120)
async def test_the_scheduler_starts_without_pandas_or_a_market_library(tmp_path: Path) -> None:
    env = environment(tmp_path, SCHEDULER_TUSHARE_TOKEN_SET="true")
    assert await loaded_modules("services.scheduler", env, tmp_path / "alive") == []


@pytest.mark.timeout(120)
@pytest.mark.parametrize("service", ["services.projector", "services.alerter"])
async def test_the_other_services_but_the_workers_start_without_them_too(
    tmp_path: Path, service: str
) -> None:
    assert await loaded_modules(service, environment(tmp_path), tmp_path / "alive") == []


@pytest.mark.timeout(120)
async def test_the_api_starts_without_pandas_or_a_market_library(tmp_path: Path) -> None:
    port = free_port()
    env = environment(tmp_path, SCHEDULER_HOST="127.0.0.1", SCHEDULER_PORT=str(port))
    ready = httpx.URL(f"http://127.0.0.1:{port}/healthz")
    assert await loaded_modules("services.api", env, ready) == []


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("kind", "loaded"), [(None, ["uvloop"]), ("asyncio", [])])
async def test_a_service_runs_on_uvloop_unless_told_otherwise(
    tmp_path: Path, kind: str | None, loaded: list[str]
) -> None:
    env = environment(tmp_path, **({"SCHEDULER_EVENT_LOOP": kind} if kind else {}))
    assert await loaded_modules("services.projector", env, tmp_path / "alive", ("uvloop",)) == loaded
