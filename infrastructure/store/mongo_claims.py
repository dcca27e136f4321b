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
from pymongo.errors import DuplicateKeyError
from pymongo.errors import PyMongoError

from contracts.envelope import utc_now
from infrastructure.store.mongo_client import with_retries
from infrastructure.store.mongo_side_store import MongoSideStore
from infrastructure.store.port import StoreUnavailable

COLLECTION = "scheduler_run_claims"
CLAIM_RETRY_S = 120.0  # several elections' worth; a run request is not given up for a shorter outage


class MongoRunClaims(MongoSideStore):
    """Run claims in a MongoDB collection, one document per (execution, attempt)."""

    collection = COLLECTION
    appname = "scheduler-run-claims"

    def __init__(
        self,
        database: AsyncDatabase[dict[str, Any]],
        *,
        client: AsyncMongoClient[Any] | None = None,
        retry_s: float = CLAIM_RETRY_S,
    ) -> None:
        """Over `database`, retrying transient errors for up to `retry_s`.

        `client` is closed by `close` when the claims own it.
        """
        super().__init__(database, client=client)
        self._retry_s = retry_s

    async def _prepare(self) -> None:
        """Check the server answers (nothing to create: `_id` is unique by construction)."""
        await with_retries(
            lambda: self._database.command("ping"), "run claims: ping", give_up_after_s=self._retry_s
        )

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
