"""Token revocation state in MongoDB, beside the user accounts (a mixin of `MongoUserStore`).

`scheduler_token_families` (`_id` = family: username, expires_at, revoked_at) and `scheduler_refresh_tokens`
(`_id` = jti: family, expires_at, used_at). Both carry a TTL index on `expires_at`, so MongoDB forgets them.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from pymongo.errors import PyMongoError

from infrastructure.store.mongo_client import errors_unavailable
from infrastructure.store.port import StoreUnavailable
from infrastructure.store.users_port import RefreshUse

FAMILIES = "scheduler_token_families"
REFRESH_TOKENS = "scheduler_refresh_tokens"
Document = dict[str, Any]


class MongoSessionCollections:
    """Sign-in sessions (token families, refresh tokens) in MongoDB; mixed into the user store."""

    @property
    def _sessions_db(self) -> AsyncDatabase[Document]:
        raise NotImplementedError  # provided by the class it is mixed into

    async def create_session_indexes(self) -> None:
        """Create the indexes that expire families and tokens; StoreUnavailable on a server error."""
        with errors_unavailable():
            for name in (FAMILIES, REFRESH_TOKENS):
                await self._sessions_db[name].create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)

    async def start_family(self, family: str, username: str, expires_at: datetime) -> None:
        """Record a new sign-in (a token family) that lasts until `expires_at` unless revoked."""
        document = {"_id": family, "username": username, "expires_at": expires_at, "revoked_at": None}
        await self._insert(FAMILIES, document)

    async def add_refresh_token(self, jti: str, family: str, expires_at: datetime) -> None:
        """Record a refresh token of `family`, usable once."""
        await self._insert(
            REFRESH_TOKENS, {"_id": jti, "family": family, "expires_at": expires_at, "used_at": None}
        )

    async def use_refresh_token(self, jti: str, now: datetime) -> RefreshUse:
        """Mark the refresh token used in one atomic update; a reuse revokes its family (`reused`)."""
        with errors_unavailable():
            # One atomic update: of two concurrent uses, exactly one finds `used_at` still null.
            first = await self._sessions_db[REFRESH_TOKENS].find_one_and_update(
                {"_id": jti, "used_at": None}, {"$set": {"used_at": now}}
            )
            token = first or await self._sessions_db[REFRESH_TOKENS].find_one({"_id": jti})
            if token is None:
                return RefreshUse("unknown")
            family = await self._sessions_db[FAMILIES].find_one({"_id": token["family"]})
        username = None if family is None else family["username"]
        if first is None:
            await self.revoke_family(token["family"], now)
            return RefreshUse("reused", token["family"], username)
        if family is None or family.get("revoked_at") is not None:
            return RefreshUse("revoked", token["family"], username)
        if _aware(token["expires_at"]) <= now:
            return RefreshUse("expired", token["family"], username)
        return RefreshUse("rotated", token["family"], username)

    async def revoke_family(self, family: str, now: datetime) -> None:
        """End a sign-in: its access and refresh tokens stop working (idempotent)."""
        with errors_unavailable():
            await self._sessions_db[FAMILIES].update_one(
                {"_id": family, "revoked_at": None}, {"$set": {"revoked_at": now}}
            )

    async def family_active(self, family: str, now: datetime) -> bool:
        """True while the family exists, is not revoked and has not expired."""
        with errors_unavailable():
            document = await self._sessions_db[FAMILIES].find_one({"_id": family})
        return (
            document is not None
            and document.get("revoked_at") is None
            and _aware(document["expires_at"]) > now
        )

    async def purge_sessions(self, now: datetime) -> int:
        """Forget expired families and refresh tokens; returns how many rows/documents went."""
        removed = 0
        with errors_unavailable():
            for name in (REFRESH_TOKENS, FAMILIES):
                result = await self._sessions_db[name].delete_many({"expires_at": {"$lte": now}})
                removed += result.deleted_count
        return removed

    async def _insert(self, collection: str, document: Document) -> None:
        try:
            await self._sessions_db[collection].insert_one(document)
        except DuplicateKeyError:
            return
        except PyMongoError as error:
            raise StoreUnavailable(str(error)) from error


def _aware(moment: datetime) -> datetime:
    """Clients without `tz_aware` give naive UTC datetimes back."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
