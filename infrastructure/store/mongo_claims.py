"""Run claims in MongoDB (collection `scheduler_run_claims`, `_id` = "<execution_id>:<attempt>")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from infrastructure.store.port import StoreUnavailable

COLLECTION = "scheduler_run_claims"


class MongoRunClaims:
    def __init__(
        self, database: AsyncDatabase[dict[str, Any]], *, client: AsyncMongoClient[Any] | None = None
    ) -> None:
        self._collection = database[COLLECTION]
        self._owned_client = client

    @classmethod
    def from_url(cls, url: str, database: str) -> MongoRunClaims:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            url, tz_aware=True, connect=False, appname="scheduler-run-claims"
        )
        return cls(client[database], client=client)

    async def open(self) -> None:
        """Nothing to create: `_id` is unique by construction."""

    async def close(self) -> None:
        if self._owned_client is not None:
            await self._owned_client.close()

    async def claim_run(self, execution_id: str, attempt: int, worker_id: str) -> bool:
        document = {
            "_id": f"{execution_id}:{attempt}",
            "worker_id": worker_id,
            "claimed_at": datetime.now(UTC),
        }
        try:
            await self._collection.insert_one(document)
        except DuplicateKeyError:
            return False
        except PyMongoError as error:
            raise StoreUnavailable(str(error)) from error
        return True
