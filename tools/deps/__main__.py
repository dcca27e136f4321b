"""Command line of `tools.deps` (see the package's docstring); each failure ends with the command to run."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.deps.lockfiles import GROUPS
from tools.deps.lockfiles import ROOT
from tools.deps.lockfiles import DepsError
from tools.deps.lockfiles import check
from tools.deps.lockfiles import normalise
from tools.deps.lockfiles import read_project
from tools.deps.uv import lock
from tools.deps.uv import say
from tools.deps.uv import sync


def pinned_exactly(names: list[str]) -> list[str]:
    """The names among `names` that pyproject.toml pins with `==` (an upgrade cannot move those)."""
    dependencies = read_project(ROOT).get("dependencies", [])
    exact = {normalise(dep.split("==")[0]) for dep in dependencies if "==" in dep}
    return [name for name in names if normalise(name) in exact]


def parser() -> argparse.ArgumentParser:
    """The command line: `check`, `lock` (with `--upgrade` or `--upgrade-package NAME`) and `sync GROUP`."""
    top = argparse.ArgumentParser(prog="python3 -m tools.deps", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="the lock files match pyproject.toml and each other (offline)")
    relock = commands.add_parser("lock", help="re-resolve the lock files, keeping every pin that still fits")
    relock.add_argument("--upgrade-package", action="append", default=[], metavar="NAME")
    relock.add_argument(
        "--upgrade", action="store_true", help="move every package to its newest fitting version"
    )
    install = commands.add_parser("sync", help="install one lock into an environment, exactly")
    install.add_argument("group", choices=sorted(GROUPS))
    install.add_argument("venv", type=Path)
    return top


def run(args: argparse.Namespace) -> None:
    """Carry out one parsed command; raises DepsError, with the fix to run, when it fails."""
    if args.command == "check":
        check()
    elif args.command == "lock":
        for name in pinned_exactly(args.upgrade_package):
            say(f"{name} is pinned exactly in pyproject.toml: change its pin there, then `make lock`")
        lock(upgrade=args.upgrade_package, upgrade_all=args.upgrade)
    elif not sync(args.group, args.venv):
        pass  # already installed: say nothing, like make's "up to date"


def main(argv: list[str]) -> int:
    """Run the command in `argv`; the exit status: 0 done, 1 failed (the reason and the fix on stderr)."""
    args = parser().parse_args(argv)
    try:
        run(args)
    except DepsError as error:
        print(f"deps: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        where = (
            f"{args.venv} is not marked installed, the next make installs again"
            if args.command == "sync"
            else ""
        )
        print(f"\ndeps: interrupted; {where or 'run the same command again'}", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
