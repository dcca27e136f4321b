"""The dev mode's JWT key.

Generated once, kept in the data directory (file mode 0600), so tokens survive a restart of `make run` without
anyone having to choose a secret.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from infrastructure.private_files import FILE_MODE
from infrastructure.private_files import private_directory

SECRET_FILE = "jwt_secret"
MIN_SECRET_BYTES = 32


def dev_secret(data_dir: Path) -> str:
    """The key kept in `data_dir`, made now (random, 43 characters) if missing or too short."""
    path = data_dir / SECRET_FILE
    if path.is_file():
        kept = path.read_text(encoding="utf-8").strip()
        if len(kept.encode()) >= MIN_SECRET_BYTES:
            return kept
    private_directory(data_dir)
    secret = secrets.token_urlsafe(MIN_SECRET_BYTES)
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    temporary.touch(mode=FILE_MODE)
    temporary.chmod(FILE_MODE)
    temporary.write_text(secret, encoding="utf-8")
    temporary.replace(path)
    return secret
