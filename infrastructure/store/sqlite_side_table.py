"""A connection of its own to the embedded database file, for a small side table.

The table sits beside the read models (user accounts, run claims, run logs, bulk actions, trade calendars):
WAL lets it share the file with the store's connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from pathlib import Path

import aiosqlite

from infrastructure.private_files import private_file
from infrastructure.store.port import StoreUnavailable

BUSY_TIMEOUT_MS = 5000


def utc_text(moment: datetime) -> str:
    """UTC ISO text of fixed width: ordered as text as it is in time."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


async def open_side_table(path: Path, schema: Sequence[str]) -> aiosqlite.Connection:
    """Connect, make sure of WAL and the schema's statements; the caller closes the connection."""
    private_file(path)
    connection = await aiosqlite.connect(path)
    try:
        # busy_timeout first: switching to WAL needs a lock another process may briefly hold.
        await connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await connection.execute("PRAGMA journal_mode = WAL")
        await connection.execute("PRAGMA synchronous = NORMAL")
        for statement in schema:
            await connection.execute(statement)
        await connection.commit()
    except BaseException:
        await connection.close()
        raise
    return connection


class SideTable:
    """A store over one side table: its own connection, opened once (`open`), closed by `close`."""

    schema: tuple[str, ...]  # the CREATE statements of its table(s) and indexes
    not_open: str  # the `StoreUnavailable` message when used before `open` or after `close`

    def __init__(self, path: Path) -> None:
        self._path = path
        self._connection: aiosqlite.Connection | None = None

    async def open(self) -> None:
        """Open a connection of its own to the file and create the table if missing; idempotent."""
        if self._connection is None:
            self._connection = await open_side_table(self._path, self.schema)
            await self._prepare()

    async def _prepare(self) -> None:
        """What else the store needs once its schema exists."""

    async def close(self) -> None:
        """Close the connection; the table may be opened again."""
        if self._connection is not None:
            connection, self._connection = self._connection, None
            await connection.close()

    @property
    def _db(self) -> aiosqlite.Connection:
        if self._connection is None:
            raise StoreUnavailable(self.not_open)
        return self._connection
