"""(18) First start of a fresh clone: `make run` until `/healthz` answers, `make test` until its first test.

What a newcomer waits for after `git clone`: the clone of this checkout's HEAD is made in the work
directory, then each command is started there in its own process group and timed from its start to the
moment it is useful: `make run` until `GET /healthz` answers 200 (the install from the lock, then the
service starting on the embedded default), `make test` until pytest prints the first test's file (the
lock check, the install, `make browser`, ruff, a first `mypy --strict` with no cache, the collection).
The command is then stopped. Two package caches: *warm* (the machine's own uv cache, as on a developer's
machine after a first install) and *empty* (`UV_CACHE_DIR` and `PIP_CACHE_DIR` on an empty directory:
every package comes from the registry). On request only (`--only first_start`): one sample takes minutes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import BinaryIO

from bench.environment import ROOT
from bench.environment import free_port
from bench.environment import fresh_dir
from bench.plan import BenchRun

GROUP = "18 first start of a fresh clone"
CACHES = ("warm", "empty")
RUN_DEADLINE_S = 900.0
TEST_DEADLINE_S = 1_800.0
POLL_S = 0.25


def _clone(target: Path) -> None:
    subprocess.run(["git", "clone", "-q", str(ROOT), str(target)], check=True)


def _env(cache: str, scratch: Path, port: int) -> dict[str, str]:
    env = dict(os.environ, SCHEDULER_PORT=str(port), SCHEDULER_HOST="127.0.0.1")
    for name in ("VIRTUAL_ENV", "PYTHONPATH"):
        env.pop(name, None)
    if cache == "empty":
        empty = scratch / "empty-cache"
        empty.mkdir(exist_ok=True)
        env.update(UV_CACHE_DIR=str(empty), PIP_CACHE_DIR=str(empty))
    return env


def _start(command: str, clone: Path, env: dict[str, str], output: BinaryIO) -> subprocess.Popen[bytes]:
    """`make <command>` in the clone, in a process group of its own, its output into the log."""
    return subprocess.Popen(
        ["make", command], cwd=clone, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """The command and everything it started (make, uv, python, pytest) stopped by its process group."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


async def _until_healthy(clone: Path, env: dict[str, str], port: int, log: Path) -> float:
    """Seconds from `make run` to the first 200 of `/healthz`."""
    with log.open("wb") as output:
        started = time.monotonic()
        process = _start("run", clone, env, output)
        try:
            while time.monotonic() - started < RUN_DEADLINE_S:
                if process.poll() is not None:
                    ended = process.returncode
                    raise RuntimeError(f"make run ended with {ended} before answering; see {log}")
                if await asyncio.to_thread(_healthy, port):
                    return time.monotonic() - started
                await asyncio.sleep(POLL_S)
            raise TimeoutError(f"make run did not answer within {RUN_DEADLINE_S:.0f} s; see {log}")
        finally:
            _stop(process)


def _first_test_line(log: Path) -> bool:
    text = log.read_text(errors="replace")
    collected = text.find("collected ")
    return collected >= 0 and "\ntests/" in text[collected:]


async def _until_first_test(clone: Path, env: dict[str, str], log: Path) -> float:
    """Seconds from `make test` to pytest printing the first test's file."""
    with log.open("wb") as output:
        started = time.monotonic()
        process = _start("test", clone, env, output)
        try:
            while time.monotonic() - started < TEST_DEADLINE_S:
                if _first_test_line(log):
                    return time.monotonic() - started
                if process.poll() is not None:
                    raise RuntimeError(f"make test ended with {process.returncode} before a test; see {log}")
                await asyncio.sleep(POLL_S)
            raise TimeoutError(f"make test started no test within {TEST_DEADLINE_S:.0f} s; see {log}")
        finally:
            _stop(process)


async def _one_sample(run: BenchRun, cache: str, repetition: int) -> tuple[float, float]:
    scratch = fresh_dir(run.work_dir, f"first-start-{cache}-{repetition}")
    port = free_port()
    env = _env(cache, scratch, port)
    run_clone, test_clone = scratch / "run-clone", scratch / "test-clone"
    _clone(run_clone)
    run_s = await _until_healthy(run_clone, env, port, scratch / "make-run.log")
    if cache == "empty":  # the second command starts from an empty cache too
        env = _env(cache, fresh_dir(scratch, "again"), port)
    _clone(test_clone)
    test_s = await _until_first_test(test_clone, env, scratch / "make-test.log")
    return run_s, test_s


async def measure_first_start(run: BenchRun) -> None:
    """Time to a served `/healthz` and to the first test from a fresh clone, warm and empty cache."""
    for cache in CACHES:
        run.results.figure(f"first_start.{cache}.run", GROUP, f"make run → /healthz, {cache} cache", "s")
        run.results.figure(f"first_start.{cache}.test", GROUP, f"make test → first test, {cache} cache", "s")
    for repetition in range(run.plan.repetitions):
        for cache in CACHES:
            run_s, test_s = await _one_sample(run, cache, repetition)
            run.results.add(f"first_start.{cache}.run", run_s)
            run.results.add(f"first_start.{cache}.test", test_s)
            run.log(
                f"first start #{repetition + 1}, {cache} cache: "
                f"make run {run_s:.0f} s, make test {test_s:.0f} s"
            )
    run.note(
        "first start: a fresh `git clone` of HEAD per command; `make run` until /healthz answers 200, "
        "`make test` until pytest prints the first test's file; warm = the machine's uv cache, empty = "
        "UV_CACHE_DIR/PIP_CACHE_DIR on an empty directory (every package from the registry)"
    )
