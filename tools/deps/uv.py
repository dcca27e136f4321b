"""uv from the package registry, and what is done with it.

Installed into `.venv-uv` (pinned, with hashes); the two things done with it: re-resolving the lock files and
installing one of them into an environment.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from tools.deps.lockfiles import BENCH
from tools.deps.lockfiles import COMPILE_OPTIONS
from tools.deps.lockfiles import DEV
from tools.deps.lockfiles import GROUPS
from tools.deps.lockfiles import LOCK_DIR
from tools.deps.lockfiles import LOCKS
from tools.deps.lockfiles import ROOT
from tools.deps.lockfiles import RUNTIME
from tools.deps.lockfiles import UV
from tools.deps.lockfiles import UV_VENV
from tools.deps.lockfiles import DepsError
from tools.deps.lockfiles import Lock
from tools.deps.lockfiles import check
from tools.deps.lockfiles import header
from tools.deps.lockfiles import normalise
from tools.deps.lockfiles import pins

PINNED = re.compile(r"\b([A-Za-z0-9][A-Za-z0-9._-]*)==([0-9][^\s`'\",;)]*)")


def say(message: str) -> None:
    """Print a progress or advice line for the developer on stderr, prefixed `deps:`."""
    print(f"deps: {message}", file=sys.stderr, flush=True)


def uv_version(uv: Path) -> str | None:
    """The version a `uv` executable reports; None if it cannot be run or says something else."""
    try:
        result = subprocess.run([uv, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    words = result.stdout.split()
    return words[1] if result.returncode == 0 and len(words) > 1 else None


def ensure_uv(root: Path = ROOT) -> Path:
    """`.venv-uv/bin/uv` at the version `requirements/uv.txt` pins, installed from that file by pip if not."""
    wanted = next((pin.version for pin in pins(read_lock(UV, root)) if pin.name == "uv"), None)
    if wanted is None:
        raise DepsError(f"{LOCK_DIR}/uv.txt pins no uv\nfix: `git checkout {LOCK_DIR}/uv.txt`")
    venv = root / UV_VENV
    uv = venv / "bin" / "uv"
    if uv_version(uv) == wanted:
        return uv
    say(f"installing uv {wanted} into {UV_VENV} ({LOCK_DIR}/uv.txt, hashes required)")
    python = venv / "bin" / "python"
    steps = [[sys.executable, "-m", "venv", str(venv)]] if not python.exists() else []
    pip = [str(python), "-m", "pip", "install", "--quiet", "--require-hashes", "--no-deps"]
    steps.append([*pip, "--force-reinstall", "-r", str(UV.path(root))])  # a half-installed uv is redone
    for step in steps:
        if subprocess.run(step, check=False).returncode != 0:
            break
    if uv_version(uv) != wanted:
        raise DepsError(
            f"could not install uv=={wanted} into {UV_VENV} (the message above says why)\n"
            f"fix: check the access to the package registry and run the same make command again; "
            f"`rm -rf {UV_VENV}` starts that environment anew"
        )
    return uv


def read_lock(lock: Lock, root: Path) -> str:
    """The text of a lock file; DepsError, with the fix, if it cannot be read."""
    try:
        return lock.path(root).read_text()
    except OSError as error:
        message = f"cannot read {LOCK_DIR}/{lock.name}.txt ({error})\nfix: `git checkout {LOCK_DIR}/`"
        raise DepsError(message) from None


def stamp(lock: Lock, root: Path) -> str:
    """The name of the file that says an environment holds exactly this version of this lock."""
    return f".installed-{lock.name}-{hashlib.sha1(lock.path(root).read_bytes()).hexdigest()[:12]}"


def ensure_venv(venv: Path) -> Path:
    """The Python of the virtualenv `venv`, created if needed.

    Raises DepsError when the running Python or the virtualenv's Python is not 3.11, or creation fails.
    """
    python = venv / "bin" / "python"
    if sys.version_info[:2] != (3, 11):
        raise DepsError(f"this project needs Python 3.11, {sys.executable} is {sys.version.split()[0]}\n"
                        "fix: run make with PYTHON=python3.11")  # fmt: skip
    config = venv / "pyvenv.cfg"
    if python.exists() and config.exists():
        version = re.search(r"^version\w*\s*=\s*(\S+)", config.read_text(), re.MULTILINE)
        if version and not version[1].startswith("3.11."):
            raise DepsError(
                f"{venv} has Python {version[1]}, the project needs 3.11\nfix: `make clean`, then again"
            )
        return python
    # without pip: uv installs into it, and seeding pip is most of the time a new environment takes
    create = [sys.executable, "-m", "venv", "--without-pip", str(venv)]
    if subprocess.run(create, check=False).returncode != 0:
        raise DepsError(
            f"could not create {venv} with {sys.executable} -m venv\nfix: `make clean`, then again"
        )
    return python


def sync(group: str, venv: Path, root: Path = ROOT, uv: Path | None = None) -> bool:
    """Make `venv` hold exactly the group's lock (nothing more, nothing less); False when it already did.

    The stamps are removed first and written last: an install that fails or is interrupted half way leaves
    no stamp, so the next run installs again instead of taking a half-built environment for a good one.
    """
    check(root)
    lock = LOCKS[group]
    if (venv / stamp(lock, root)).exists():
        return False
    uv = uv or ensure_uv(root)
    python = ensure_venv(venv)
    for old in venv.glob(".installed-*"):
        old.unlink()
    relative = f"{LOCK_DIR}/{lock.name}.txt"
    say(f"installing {relative} into {venv} (uv pip sync, hashes required)")
    command = [str(uv), "pip", "sync", "--require-hashes", "--python", str(python), str(lock.path(root))]
    returncode, errors = run_echoing_stderr(command)
    if returncode != 0:
        raise DepsError(sync_failure(errors, lock, root, venv))
    for name in GROUPS[group]:
        (venv / stamp(LOCKS[name], root)).touch()
    return True


def run_echoing_stderr(command: Sequence[str | Path], cwd: Path | None = None) -> tuple[int, str]:
    """Run a command, its error output shown as it comes and kept for the message."""
    with subprocess.Popen(command, cwd=cwd, stderr=subprocess.PIPE, text=True) as process:
        assert process.stderr is not None
        kept: list[str] = []
        for line in process.stderr:
            sys.stderr.write(line)
            kept.append(line)
    return process.returncode, "".join(kept)


def sync_failure(errors: str, lock: Lock, root: Path, venv: Path) -> str:
    """The message for a failed install of a lock: the packages uv named and what to do next."""
    locked = {pin.name for pin in pins(lock.path(root).read_text())}
    named = sorted(
        {f"{name}=={version}" for name, version in PINNED.findall(errors) if normalise(name) in locked}
    )
    first = normalise(named[0].split("==")[0]) if named else "NAME"
    lines = [
        f"installing {LOCK_DIR}/{lock.name}.txt into {venv} failed (uv's message above); "
        f"{venv} is not marked installed, the next make installs again",
        *(f"  package: {pin}" for pin in named),
        "fix: run the same make command again if the network or the registry failed; if the registry no "
        f"longer serves a locked file, move that package: `make upgrade PACKAGE={first}` (or its pin in "
        "pyproject.toml, then `make lock`), and run the make command again",
    ]
    return "\n".join(lines)


def compile_command(uv: Path, lock: Lock, upgrade: Sequence[str], upgrade_all: bool) -> list[str]:
    """The `uv pip compile` command that re-resolves one lock file, upgrading what is asked."""
    command = [
        str(uv),
        "pip",
        "compile",
        "--quiet",
        *COMPILE_OPTIONS,
        "--output-file",
        f"{LOCK_DIR}/{lock.name}.txt",
    ]
    if lock.pyproject:
        command.append("pyproject.toml")
    for extra in lock.extras:
        command += ["--extra", extra]
    if lock.requirements_in:
        command.append(f"{LOCK_DIR}/{lock.requirements_in}")
    if lock.constraint:
        command += ["--constraint", f"{LOCK_DIR}/{lock.constraint}.txt"]
    command += (
        ["--upgrade"] if upgrade_all else [arg for name in upgrade for arg in ("--upgrade-package", name)]
    )
    return command


def lock(root: Path = ROOT, upgrade: Sequence[str] = (), upgrade_all: bool = False) -> None:
    """Re-resolve every lock file, keeping each pin that still fits (all of them with `upgrade_all`)."""
    uv = ensure_uv(root)
    compile_all(uv, [RUNTIME], root, upgrade, upgrade_all)  # the others are constrained by it
    compile_all(uv, [DEV, BENCH, UV], root, upgrade, upgrade_all)
    check(root)


def compile_all(
    uv: Path, locks: Sequence[Lock], root: Path, upgrade: Sequence[str], upgrade_all: bool
) -> None:
    """Re-resolve the lock files in parallel and write their headers; DepsError naming any that failed."""
    running = [
        (each, subprocess.Popen(compile_command(uv, each, upgrade, upgrade_all), cwd=root)) for each in locks
    ]
    failed = [each.name for each, process in running if process.wait() != 0]
    for each in locks:
        path = each.path(root)
        if each.name not in failed:
            path.write_text(header(each, root) + path.read_text())
    if failed:
        raise DepsError(
            f"`make lock` could not resolve {', '.join(failed)} (uv's message above names the package)\n"
            "fix: change that requirement in pyproject.toml (or requirements/*.in) and run `make lock` again"
        )
