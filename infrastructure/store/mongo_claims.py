"""Run claims in MongoDB (collection `scheduler_run_claims`, `_id` = "<execution_id>:<attempt>").

A claim rides out a short outage (an election, a restart): it is retried with backoff on transient errors
for up to `CLAIM_RETRY_S` before the worker is told the store is unavailable. A retried insert that the
server did apply the first time finds its own claim (same `token`) and counts as won.
"""

from __future__ import annotations

import uuid
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from contracts.envelope import utc_now
from infrastructure.store.mongo_client import make_client, with_retries
from infrastructure.store.port import StoreUnavailable

COLLECTION = "scheduler_run_claims"
CLAIM_RETRY_S = 120.0  # several elections' worth; a run request is not given up for a shorter outage


class MongoRunClaims:
    """Run claims in a MongoDB collection, one document per (execution, attempt)."""

    def __init__(
        self,
        database: AsyncDatabase[dict[str, Any]],
        *,
        client: AsyncMongoClient[Any] | None = None,
        retry_s: float = CLAIM_RETRY_S,
    ) -> None:
        self._database = database
        self._collection = database[COLLECTION]
        self._owned_client = client
        self._retry_s = retry_s

    @classmethod
    def from_url(cls, url: str, database: str) -> MongoRunClaims:
        """Claims that own their client, connected to `url` on first use (no I/O here)."""
        client = make_client(url, "scheduler-run-claims")
        return cls(client[database], client=client)

    async def open(self) -> None:
        """Check the server answers (nothing to create: `_id` is unique by construction)."""
        try:
            await with_retries(
                lambda: self._database.command("ping"), "run claims: ping", give_up_after_s=self._retry_s
            )
        except PyMongoError as error:
            raise StoreUnavailable(f"cannot reach MongoDB: {error}") from error

    async def close(self) -> None:
        """Close the client if these claims made it."""
        if self._owned_client is not None:
            await self._owned_client.close()

    async def claim_run(self, execution_id: str, attempt: int, worker_id: str) -> bool:
        """True for the first claim of (execution_id, attempt), False for every later one."""
        key = f"{execution_id}:{attempt}"
        token = uuid.uuid4().hex
        document = {"_id": key, "worker_id": worker_id, "token": token, "claimed_at": utc_now()}

        async def claim() -> bool:
            try:
                await self._collection.insert_one(document)
            except DuplicateKeyError:
                held = await self._collection.find_one({"_id": key}, {"token": True})
                return held is not None and held.get("token") == token
            return True

        try:
            return await with_retries(claim, f"claim of {key}", give_up_after_s=self._retry_s)
        except PyMongoError as error:  # not transient (with_retries turns those into StoreUnavailable)
            raise StoreUnavailable(str(error)) from error
