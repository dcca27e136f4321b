"""Token revocation state in the embedded SQLite database, beside the user accounts.

`scheduler_token_families`: one row per sign-in (revoked or not, until when); `scheduler_refresh_tokens`:
one row per refresh token, with the instant it was used (a second use is a reuse). A mixin of
`SQLiteUserStore`, which owns the connection.
"""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from infrastructure.store.users_port import RefreshUse

SESSION_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS scheduler_token_families (
        family TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        expires_at REAL NOT NULL,
        revoked_at REAL
    )""",
    """CREATE TABLE IF NOT EXISTS scheduler_refresh_tokens (
        jti TEXT PRIMARY KEY,
        family TEXT NOT NULL,
        expires_at REAL NOT NULL,
        used_at REAL
    )""",
)


class SQLiteSessionTables:
    """Sign-in sessions (token families, refresh tokens) in SQLite; mixed into the user store."""

    @property
    def _db(self) -> aiosqlite.Connection:
        raise NotImplementedError  # provided by the class it is mixed into

    async def create_session_tables(self) -> None:
        """Create the session tables if missing."""
        for statement in SESSION_SCHEMA:
            await self._db.execute(statement)
        await self._db.commit()

    async def start_family(self, family: str, username: str, expires_at: datetime) -> None:
        """Record a new sign-in (a token family) that lasts until `expires_at` unless revoked."""
        await self._db.execute(
            "INSERT OR IGNORE INTO scheduler_token_families (family, username, expires_at) VALUES (?, ?, ?)",
            (family, username, expires_at.timestamp()),
        )
        await self._db.commit()

    async def add_refresh_token(self, jti: str, family: str, expires_at: datetime) -> None:
        """Record a refresh token of `family`, usable once."""
        await self._db.execute(
            "INSERT OR IGNORE INTO scheduler_refresh_tokens (jti, family, expires_at) VALUES (?, ?, ?)",
            (jti, family, expires_at.timestamp()),
        )
        await self._db.commit()

    async def use_refresh_token(self, jti: str, now: datetime) -> RefreshUse:
        """Mark the refresh token used (one conditional update); a reuse revokes its family (`reused`)."""
        # The conditional UPDATE is the atomic step: of two concurrent uses, exactly one changes the row.
        cursor = await self._db.execute(
            "UPDATE scheduler_refresh_tokens SET used_at = ? WHERE jti = ? AND used_at IS NULL",
            (now.timestamp(), jti),
        )
        await self._db.commit()
        first_use = cursor.rowcount == 1
        async with self._db.execute(
            "SELECT t.family, f.username, f.revoked_at, t.expires_at FROM scheduler_refresh_tokens t "
            "LEFT JOIN scheduler_token_families f ON f.family = t.family WHERE t.jti = ?",
            (jti,),
        ) as rows:
            row = await rows.fetchone()
        if row is None:
            return RefreshUse("unknown")
        family, username, revoked_at, expires_at = row
        if not first_use:
            await self.revoke_family(family, now)
            return RefreshUse("reused", family, username)
        if username is None or revoked_at is not None:
            return RefreshUse("revoked", family, username)
        if expires_at <= now.timestamp():
            return RefreshUse("expired", family, username)
        return RefreshUse("rotated", family, username)

    async def revoke_family(self, family: str, now: datetime) -> None:
        """End a sign-in: its access and refresh tokens stop working (idempotent)."""
        await self._db.execute(
            "UPDATE scheduler_token_families SET revoked_at = ? WHERE family = ? AND revoked_at IS NULL",
            (now.timestamp(), family),
        )
        await self._db.commit()

    async def family_active(self, family: str, now: datetime) -> bool:
        """True while the family exists, is not revoked and has not expired."""
        async with self._db.execute(
            "SELECT 1 FROM scheduler_token_families "
            "WHERE family = ? AND revoked_at IS NULL AND expires_at > ?",
            (family, now.timestamp()),
        ) as rows:
            return await rows.fetchone() is not None

    async def purge_sessions(self, now: datetime) -> int:
        """Forget expired families and refresh tokens; returns how many rows/documents went."""
        moment = now.timestamp()
        removed = 0
        for table in ("scheduler_refresh_tokens", "scheduler_token_families"):
            cursor = await self._db.execute(f"DELETE FROM {table} WHERE expires_at <= ?", (moment,))
            removed += cursor.rowcount
        await self._db.commit()
        return removed
