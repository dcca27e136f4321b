"""The project's locked dependencies: lock files with hashes made by uv, checked offline, installed as locked.

    python3 -m tools.deps check                    pyproject.toml and requirements/*.txt agree (offline)
    python3 -m tools.deps lock [--upgrade-package NAME]... [--upgrade]
    python3 -m tools.deps sync runtime|dev|bench VENV

Standard library only: it runs with the bare Python 3.11 that the README asks for, before any environment
exists. uv comes from the package registry into `.venv-uv`, pinned with hashes by `requirements/uv.txt`.
"""

import sys

# run by whatever `python3` the machine has, before any environment exists: tomllib needs 3.11
if sys.version_info[:2] < (3, 11):  # noqa: UP036
    sys.exit(
        f"this project needs Python 3.11 (found {sys.version.split()[0]}): run make with PYTHON=python3.11"
    )
