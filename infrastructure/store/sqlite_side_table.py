"""A connection of its own to the embedded database file, for a small table beside the read models
(user accounts, run claims): WAL lets it share the file with the store's connection."""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from infrastructure.private_files import private_file

BUSY_TIMEOUT_MS = 5000


async def open_side_table(path: Path, schema: str) -> aiosqlite.Connection:
    """Connect, make sure of WAL and the table's schema; the caller closes the connection."""
    private_file(path)
    connection = await aiosqlite.connect(path)
    try:
        # busy_timeout first: switching to WAL needs a lock another process may briefly hold.
        await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA synchronous = NORMAL")
        await connection.execute(schema)
        await connection.commit()
    except BaseException:
        await connection.close()
        raise
    return connection
