"""The lock files (`requirements/`), the offline check of them, and every install path using them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools.deps.__main__ import pinned_exactly
from tools.deps.lockfiles import DEV
from tools.deps.lockfiles import LOCKS
from tools.deps.lockfiles import RUNTIME
from tools.deps.lockfiles import DepsError
from tools.deps.lockfiles import check
from tools.deps.lockfiles import pins
from tools.deps.lockfiles import problems
from tools.deps.uv import stamp
from tools.deps.uv import sync

ROOT = Path(__file__).resolve().parents[1]
PROVIDERS = ("tushare", "akshare", "baostock", "pandas")
LOCKED_RUNTIME = "requirements/runtime.txt"
DEV_ONLY = ("pytest", "mypy", "ruff", "playwright", "schemathesis", "hypothesis")


def locked(name: str) -> dict[str, str]:
    return {pin.name: pin.version for pin in pins(LOCKS[name].path(ROOT).read_text())}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of what the lock check reads: pyproject.toml and requirements/."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / "requirements", tmp_path / "requirements")
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def test_the_committed_lock_files_match_pyproject_and_each_other() -> None:
    assert problems(ROOT) == []


def test_a_dependency_added_to_pyproject_is_named_with_the_command_that_relocks(project: Path) -> None:
    edit(project / "pyproject.toml", '"requests",', '"requests",\n    "tenacity>=9",')
    with pytest.raises(DepsError) as raised:
        check(project)
    message = str(raised.value)
    assert "requirements/runtime.txt was made from other inputs: now 'pyproject.toml: tenacity>=9'" in message
    assert "make lock" in message


def test_a_dev_dependency_removed_from_pyproject_is_named(project: Path) -> None:
    edit(project / "pyproject.toml", '    "types-pyyaml",\n', "")
    problem = "\n".join(problems(project))
    assert "requirements/dev.txt" in problem and "no longer 'pyproject.toml[dev]: types-pyyaml'" in problem
    assert "runtime.txt" not in problem, "the runtime lock does not depend on the dev extra"


def test_a_lock_moved_by_hand_away_from_the_runtime_lock_is_named(project: Path) -> None:
    version = locked("runtime")["fastapi"]
    edit(project / "requirements/dev.txt", f"fastapi=={version} ", "fastapi==0.1.0 ")
    assert problems(project) == [
        f"requirements/dev.txt has fastapi==0.1.0 where requirements/runtime.txt has fastapi=={version}"
    ]


def test_a_pin_without_its_hashes_or_a_floating_line_is_refused(project: Path) -> None:
    text = (project / "requirements/runtime.txt").read_text()
    without_hashes = re.sub(r"(six==[^ ]+) \\\n(    --hash=\S+ ?\\?\n)+", r"\1\n", text)
    (project / "requirements/runtime.txt").write_text(without_hashes + "requests>=2\n")
    found = problems(project)
    assert any(re.search(r"runtime.txt: six==\S+ has no hash", line) for line in found), found
    assert "requirements/runtime.txt has lines that are not 'name==version' pins" in found


def test_no_lock_file_names_a_host_or_a_url() -> None:
    for path in (ROOT / "requirements").iterdir():
        text = path.read_text()
        assert "://" not in text and "pypi" not in text.lower() and "pythonhosted" not in text, path
        assert not re.search(r"--(extra-)?index-url|--find-links|--trusted-host", text), path


def test_data_providers_are_pinned_exactly_and_locked_at_those_versions() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    for name in PROVIDERS:
        pinned = re.search(rf'^\s*"{name}==([^"]+)"', text, re.MULTILINE)
        assert pinned, f"{name} must be pinned with == in pyproject.toml"
        assert locked("runtime")[name] == pinned[1], name
    assert pinned_exactly(["akshare", "fastapi"]) == ["akshare"], "make upgrade says it cannot move those"


def test_the_runtime_lock_has_no_development_tool_and_dev_and_bench_add_theirs() -> None:
    runtime, dev, bench = locked("runtime"), locked("dev"), locked("bench")
    assert not set(DEV_ONLY) & set(runtime)
    assert set(DEV_ONLY) <= set(dev)
    assert {"celery", "redis", "matplotlib", "httpx"} <= set(bench) and "pytest" not in bench


def test_make_run_installs_the_runtime_lock_and_make_test_checks_then_installs_dev() -> None:
    def commands(target: str) -> list[str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("MAKE", "MFLAGS"))}
        command = ["make", "-n", "--no-print-directory", target]
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        return result.stdout.splitlines()

    run = commands("run")
    assert run[0].endswith("-m tools.deps sync runtime .venv") and run[-1].endswith("-m services.embedded")
    test = commands("test")
    assert test[0].endswith("-m tools.deps check") and test[1].endswith("-m tools.deps sync dev .venv")
    assert test[-1].endswith("-m pytest")
    assert commands("bench-install") == ["python3 -m tools.deps sync bench .venv-bench"]
    assert "make test" in (ROOT / ".ci/run").read_text()


def test_the_image_installs_the_runtime_lock_with_hashes_and_nothing_else() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    installs = [line for line in lines if "pip install" in line]
    assert installs == [f"RUN pip install --no-cache-dir --no-deps --require-hashes -r {LOCKED_RUNTIME}"]
    copy = f"COPY {LOCKED_RUNTIME} ./{LOCKED_RUNTIME}"
    assert copy in lines and lines.index(copy) < lines.index(installs[0])
    copied = {line.split()[1] for line in lines if line.startswith("COPY ")}
    assert {"contracts", "domain", "infrastructure", "services"} <= copied, "python -m services.X from /app"
    assert "WORKDIR /app" in lines


FAKE_UV = """#!/bin/sh
echo "$@" >> "{log}"
if [ -e "{fail}" ]; then
  echo "error: Failed to download \\`six==1.17.0\\`" >&2
  echo "  Caused by: connection reset" >&2
  exit 2
fi
"""


@pytest.fixture
def fake_uv(tmp_path: Path) -> Path:
    """uv's stand-in for the stamp logic: records its arguments, fails while a `fail` file exists."""
    uv = tmp_path / "uv"
    uv.write_text(FAKE_UV.format(log=tmp_path / "uv.log", fail=tmp_path / "fail"))
    uv.chmod(0o755)
    return uv


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    (venv / "pyvenv.cfg").write_text("version = 3.11.7\n")
    return venv


def test_an_interrupted_or_failed_install_leaves_no_stamp_and_names_the_package(
    project: Path, venv: Path, fake_uv: Path
) -> None:
    (venv / stamp(RUNTIME, project)).touch()  # an earlier good install of another lock
    (fake_uv.parent / "fail").touch()
    with pytest.raises(DepsError) as raised:
        sync("dev", venv, project, uv=fake_uv)
    message = str(raised.value)
    assert "package: six==1.17.0" in message and "make upgrade PACKAGE=six" in message
    assert "is not marked installed" in message
    assert not list(venv.glob(".installed-*")), "the stamps go first, before the install starts"


def test_a_good_install_is_stamped_last_and_not_repeated(project: Path, venv: Path, fake_uv: Path) -> None:
    assert sync("dev", venv, project, uv=fake_uv) is True
    calls = (fake_uv.parent / "uv.log").read_text().splitlines()
    assert calls == [f"pip sync --require-hashes --python {venv}/bin/python {project}/requirements/dev.txt"]
    assert {p.name for p in venv.glob(".installed-*")} == {stamp(DEV, project), stamp(RUNTIME, project)}
    assert sync("dev", venv, project, uv=fake_uv) is False
    assert sync("runtime", venv, project, uv=fake_uv) is False, "a development environment has the runtime"
    assert len((fake_uv.parent / "uv.log").read_text().splitlines()) == 1


def test_an_install_refuses_a_lock_that_does_not_match_pyproject(
    project: Path, venv: Path, fake_uv: Path
) -> None:
    edit(project / "pyproject.toml", '"akshare==', '"akshare>=')
    with pytest.raises(DepsError, match="make lock"):
        sync("runtime", venv, project, uv=fake_uv)
    assert not (fake_uv.parent / "uv.log").exists(), "nothing is installed from a stale lock"
