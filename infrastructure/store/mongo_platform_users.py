"""The platform's `users` collection, read through PyMongo's async API (never written)."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError

from infrastructure.store.mongo_client import make_client
from infrastructure.store.platform_users_port import PlatformUser
from infrastructure.store.port import StoreUnavailable

COLLECTION = "users"
Document = dict[str, Any]
_FIELDS = {"_id": 0, "username": 1, "is_admin": 1, "is_active": 1}


class MongoPlatformUsers:
    """The platform's own accounts (a collection another application keeps), read only."""

    def __init__(
        self, client: AsyncMongoClient[Document], database: str, *, owns_client: bool = False
    ) -> None:
        self._client = client
        self._database = client[database]  # no I/O until the first command
        self._owns_client = owns_client

    @classmethod
    def from_url(cls, url: str, database: str) -> MongoPlatformUsers:
        """A directory that owns its client, connected to `url` on first use (no I/O here)."""
        client = make_client(url, appname="scheduler-platform-users")
        return cls(client, database, owns_client=True)

    async def open(self) -> None:
        """Nothing to create; a platform database that is down now is retried on each look-up."""

    async def close(self) -> None:
        """Close the client if this directory made it."""
        if self._owns_client:
            await self._client.close()

    async def find_user(self, username: str) -> PlatformUser | None:
        """The account with this username, or None."""
        try:
            document = await self._database[COLLECTION].find_one({"username": username}, _FIELDS)
        except PyMongoError as error:
            raise StoreUnavailable(f"platform users: {error}") from error
        if document is None:
            return None
        # Only `True` counts: a missing or malformed flag never grants anything.
        return PlatformUser(
            username=username,
            is_admin=document.get("is_admin") is True,
            is_active=document.get("is_active") is True,
        )
