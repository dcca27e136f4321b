"""The platform's `users` collection, read through PyMongo's async API (never written)."""

from __future__ import annotations

from typing import Any

from infrastructure.store.mongo_client import errors_unavailable
from infrastructure.store.mongo_side_store import MongoSideStore
from infrastructure.store.platform_users_port import PlatformUser

COLLECTION = "users"
Document = dict[str, Any]
_FIELDS = {"_id": 0, "username": 1, "is_admin": 1, "is_active": 1}


class MongoPlatformUsers(MongoSideStore):
    """The platform's own accounts (a collection another application keeps), read only."""

    collection = COLLECTION
    appname = "scheduler-platform-users"

    async def open(self) -> None:
        """Nothing to create; a platform database that is down now is retried on each look-up."""

    async def find_user(self, username: str) -> PlatformUser | None:
        """The account with this username, or None."""
        with errors_unavailable("platform users"):
            document = await self._collection.find_one({"username": username}, _FIELDS)
        if document is None:
            return None
        # Only `True` counts: a missing or malformed flag never grants anything.
        return PlatformUser(
            username=username,
            is_admin=document.get("is_admin") is True,
            is_active=document.get("is_active") is True,
        )
