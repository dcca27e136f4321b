"""User accounts in the embedded SQLite database (table `scheduler_users`, beside the read models)."""

from __future__ import annotations

from infrastructure.store.sqlite_sessions import SQLiteSessionTables
from infrastructure.store.sqlite_side_table import SideTable
from infrastructure.store.users_port import UserRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS scheduler_users (
    username TEXT PRIMARY KEY,
    document TEXT NOT NULL
)
"""


class SQLiteUserStore(SideTable, SQLiteSessionTables):
    """Users in the embedded SQLite database.

    Its own connection to the database file (WAL lets it share the file with the store's); also the
    tokens' revocation state (`SQLiteSessionTables`).
    """

    schema = (SCHEMA,)
    not_open = "user store is not open"

    async def _prepare(self) -> None:
        await self.create_session_tables()

    async def get_user(self, username: str) -> UserRecord | None:
        """The account with this username; None if there is none."""
        async with self._db.execute(
            "SELECT document FROM scheduler_users WHERE username = ?", (username,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else UserRecord.model_validate_json(row[0])

    async def add_user(self, record: UserRecord) -> bool:
        """Insert an account unless one with that username exists; False if it did (nothing changed)."""
        cursor = await self._db.execute(
            "INSERT OR IGNORE INTO scheduler_users (username, document) VALUES (?, ?)",
            (record.username, record.model_dump_json()),
        )
        await self._db.commit()
        return cursor.rowcount == 1

    async def put_user(self, record: UserRecord) -> None:
        """Insert or replace the account with that username."""
        await self._db.execute(
            "INSERT INTO scheduler_users (username, document) VALUES (?, ?) "
            "ON CONFLICT (username) DO UPDATE SET document = excluded.document",
            (record.username, record.model_dump_json()),
        )
        await self._db.commit()

    async def list_users(self) -> list[UserRecord]:
        """Every account, ordered by username."""
        async with self._db.execute("SELECT document FROM scheduler_users ORDER BY username") as cursor:
            rows = await cursor.fetchall()
        return [UserRecord.model_validate_json(row[0]) for row in rows]
