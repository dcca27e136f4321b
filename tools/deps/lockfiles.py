"""The lock files (`requirements/*.txt`): what each is made from, and the offline check that they match it."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LOCK_DIR = "requirements"
UV_VENV = ".venv-uv"
PYTHON_VERSION = "3.11"
COMPILE_OPTIONS = ("--universal", "--python-version", PYTHON_VERSION, "--generate-hashes", "--no-header")
INPUTS_LINE = "# inputs:"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


class DepsError(Exception):
    """A problem to report to the person at the keyboard: what is wrong and the command that fixes it."""


@dataclass(frozen=True)
class Lock:
    """One lock file: what it is made from (its inputs) and the lock it is constrained by."""

    name: str
    pyproject: bool = True
    extras: tuple[str, ...] = ()
    requirements_in: str | None = None
    constraint: str | None = None

    def path(self, root: Path) -> Path:
        """Where this lock file lives under the project's `root`."""
        return root / LOCK_DIR / f"{self.name}.txt"


RUNTIME = Lock("runtime")
DEV = Lock("dev", extras=("dev",), constraint="runtime")
BENCH = Lock("bench", requirements_in="bench.in", constraint="runtime")
UV = Lock("uv", pyproject=False, requirements_in="uv.in")
LOCKS = {lock.name: lock for lock in (RUNTIME, DEV, BENCH, UV)}
#: what an environment of each group gets; a group also satisfies the groups its lock contains
GROUPS = {"runtime": ("runtime",), "dev": ("dev", "runtime"), "bench": ("bench", "runtime")}


def normalise(name: str) -> str:
    """A package name in its normal form (PEP 503: lower case, runs of `-_.` as one `-`)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_in_file(path: Path) -> list[str]:
    """The requirement lines of a `.in` file, comments and blank lines left out."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def read_project(root: Path) -> dict[str, Any]:
    """The `[project]` table of `root`'s pyproject.toml; DepsError if it cannot be read."""
    try:
        project: dict[str, Any] = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    except (OSError, KeyError, tomllib.TOMLDecodeError) as error:
        raise DepsError(f"cannot read [project] in pyproject.toml: {error}") from None
    return project


def inputs(lock: Lock, root: Path) -> list[str]:
    """The lines a lock is made from, sorted: what its header records and `check` compares."""
    found: list[str] = [f"options: {' '.join(COMPILE_OPTIONS)}"]
    if lock.pyproject:
        project = read_project(root)
        found.append(f"requires-python: {project.get('requires-python', '')}")
        found += [f"pyproject.toml: {dep}" for dep in project.get("dependencies", [])]
        extras = project.get("optional-dependencies", {})
        for extra in lock.extras:
            found += [f"pyproject.toml[{extra}]: {dep}" for dep in extras.get(extra, [])]
    if lock.requirements_in:
        name = f"{LOCK_DIR}/{lock.requirements_in}"
        found += [f"{name}: {line}" for line in read_in_file(root / name)]
    if lock.constraint:
        found.append(f"constraint: {LOCK_DIR}/{lock.constraint}.txt")
    return sorted(" ".join(line.split()) for line in found)


def header(lock: Lock, root: Path) -> str:
    """The comment block a lock file starts with: who made it, and the inputs it was made from."""
    lines = [
        f"# Locked dependencies ({lock.name}): made by `make lock` (uv pip compile), never edited by hand.",
        "# Installed with their hashes by `make install`, `make run`, the Dockerfile; README, Dependencies.",
        f"{INPUTS_LINE} what this file was made from; `make check-lock` compares them with the sources",
    ]
    lines += [f"#   {line}" for line in inputs(lock, root)]
    return "\n".join(lines) + "\n"


def recorded_inputs(text: str) -> list[str] | None:
    """The inputs a lock file's header records; None if the file has no such header."""
    lines = text.splitlines()
    if not any(line.startswith(INPUTS_LINE) for line in lines):
        return None
    start = next(i for i, line in enumerate(lines) if line.startswith(INPUTS_LINE)) + 1
    recorded: list[str] = []
    for line in lines[start:]:
        if not line.startswith("#   "):
            break
        recorded.append(line[4:])
    return recorded


@dataclass(frozen=True)
class Pin:
    """One `name==version` line of a lock file: its environment marker and how many hashes it has."""

    name: str
    version: str
    marker: str
    hashes: int


def pins(text: str) -> list[Pin]:
    """The `name==version ; marker` entries of a lock file, with how many hashes each has."""
    found: list[Pin] = []
    for line in text.splitlines():
        match = PIN.match(line)
        if match:
            found.append(Pin(normalise(match[1]), match[2], (match[3] or "").strip(), 0))
        elif line.strip().startswith("--hash=") and found:
            last = found[-1]
            found[-1] = Pin(last.name, last.version, last.marker, last.hashes + 1)
    return found


def requirement_lines(text: str) -> list[str]:
    """Every line that asks for something (not a comment, a hash or a continuation)."""
    return [line for line in text.splitlines() if line.strip() and not line.startswith((" ", "#", "\t"))]


def problems(root: Path = ROOT) -> list[str]:
    """Everything that makes the lock files disagree with their sources or with each other, offline."""
    found: list[str] = []
    texts: dict[str, str] = {}
    for lock in LOCKS.values():
        path = lock.path(root)
        if not path.exists():
            found.append(f"{LOCK_DIR}/{path.name} is missing")
            continue
        texts[lock.name] = text = path.read_text()
        found += stale(lock, text, root) + malformed(lock, text)
    for lock in LOCKS.values():
        if lock.constraint and lock.name in texts and lock.constraint in texts:
            found += disagreements(lock, texts[lock.name], texts[lock.constraint])
    return found


def stale(lock: Lock, text: str, root: Path) -> list[str]:
    """Why a lock file no longer matches its inputs (one line per change); empty when it matches."""
    recorded = recorded_inputs(text)
    if recorded is None:
        return [f"{LOCK_DIR}/{lock.name}.txt has no '{INPUTS_LINE}' header: it was not made by `make lock`"]
    current = inputs(lock, root)
    added = [line for line in current if line not in recorded]
    removed = [line for line in recorded if line not in current]
    changes = [f"now '{line}'" for line in added] + [f"no longer '{line}'" for line in removed]
    if not changes:
        return []
    return [f"{LOCK_DIR}/{lock.name}.txt was made from other inputs: " + "; ".join(changes)]


def malformed(lock: Lock, text: str) -> list[str]:
    """What is wrong in a lock file's lines: not pins, pins without hashes, URLs; empty when none."""
    found: list[str] = []
    entries = pins(text)
    if len(entries) != len(requirement_lines(text)):
        found.append(f"{LOCK_DIR}/{lock.name}.txt has lines that are not 'name==version' pins")
    found += [
        f"{LOCK_DIR}/{lock.name}.txt: {pin.name}=={pin.version} has no hash"
        for pin in entries
        if not pin.hashes
    ]
    if "://" in text:
        found.append(f"{LOCK_DIR}/{lock.name}.txt contains a URL")
    return found


def disagreements(lock: Lock, text: str, constraint_text: str) -> list[str]:
    """A lock made on top of another must pin every package of it at the same version."""
    assert lock.constraint is not None
    mine = {(pin.name, pin.marker): pin.version for pin in pins(text)}
    return [
        f"{LOCK_DIR}/{lock.name}.txt has {pin.name}=={mine.get((pin.name, pin.marker), 'nothing')} "
        f"where {LOCK_DIR}/{lock.constraint}.txt has {pin.name}=={pin.version}"
        for pin in pins(constraint_text)
        if mine.get((pin.name, pin.marker)) != pin.version
    ]


def check(root: Path = ROOT) -> None:
    """Check the lock files against pyproject.toml offline; DepsError listing each problem and the fix."""
    found = problems(root)
    if found:
        raise DepsError(
            "the lock files do not match pyproject.toml:\n  "
            + "\n  ".join(found)
            + "\nfix: `make lock` (re-resolves, keeping every other pin), then commit requirements/"
        )
