"""Files only this service's user may read: the data directory (0700), its SQLite files and secrets (0600).

SQLite creates its `-wal` and `-shm` files with the permissions of the database file, so creating the
database file 0600 before SQLite opens it is enough for all three.
"""

from __future__ import annotations

import os
from pathlib import Path

DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def private_directory(path: Path) -> None:
    """Create `path` readable by this user only.

    Create `path` (and missing parents) readable by this user only; an existing one is left as it is
    (an operator may have chosen its mode).
    """
    if path.is_dir():
        return
    path.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    os.chmod(path, DIRECTORY_MODE)  # mkdir's mode is filtered by the umask


def private_file(path: Path) -> None:
    """Create an empty file 0600 in a private directory unless it exists (then it is left as it is)."""
    private_directory(path.parent)
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    except FileExistsError:
        return
    os.fchmod(descriptor, FILE_MODE)
    os.close(descriptor)
