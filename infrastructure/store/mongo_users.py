"""User accounts in MongoDB (collection `scheduler_users`, `_id` = username), via PyMongo's async API."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from infrastructure.store.mongo_client import make_client
from infrastructure.store.mongo_sessions import MongoSessionCollections
from infrastructure.store.port import StoreUnavailable
from infrastructure.store.users_port import UserRecord

COLLECTION = "scheduler_users"
Document = dict[str, Any]


class MongoUserStore(MongoSessionCollections):
    """Users in MongoDB.

    Same shape as `MongoStore`: give it a client (it closes the client only when it owns it); also the
    tokens' revocation state (`MongoSessionCollections`).
    """

    def __init__(
        self, client: AsyncMongoClient[Document], database: str, *, owns_client: bool = False
    ) -> None:
        self._client = client
        self._database = client[database]  # no I/O until the first command
        self._collection: AsyncCollection[Document] = self._database[COLLECTION]
        self._owns_client = owns_client

    @classmethod
    def from_url(cls, url: str, database: str) -> MongoUserStore:
        """A store that owns its client, connected to `url` on first use (no I/O here)."""
        client = make_client(url, appname="scheduler-users")
        return cls(client, database, owns_client=True)

    async def open(self) -> None:
        """Checks the server answers; the TTL indexes of the revocation state (`_id` is the username)."""
        try:
            await self._database.command("ping")
        except PyMongoError as error:
            raise StoreUnavailable(f"cannot reach MongoDB: {error}") from error
        await self.create_session_indexes()

    @property
    def _sessions_db(self) -> AsyncDatabase[Document]:
        return self._database

    async def close(self) -> None:
        """Close the client if this store made it."""
        if self._owns_client:
            await self._client.close()

    async def get_user(self, username: str) -> UserRecord | None:
        """The account with this username; None if there is none."""
        try:
            document = await self._collection.find_one({"_id": username})
        except PyMongoError as error:
            raise StoreUnavailable(str(error)) from error
        return None if document is None else _to_record(document)

    async def add_user(self, record: UserRecord) -> bool:
        """Insert an account unless one with that username exists; False if it did (nothing changed)."""
        try:
            await self._collection.insert_one(_to_document(record))
        except DuplicateKeyError:
            return False
        except PyMongoError as error:
            raise StoreUnavailable(str(error)) from error
        return True

    async def put_user(self, record: UserRecord) -> None:
        """Insert or replace the account with that username."""
        try:
            await self._collection.replace_one({"_id": record.username}, _to_document(record), upsert=True)
        except PyMongoError as error:
            raise StoreUnavailable(str(error)) from error

    async def list_users(self) -> list[UserRecord]:
        """Every account, ordered by username."""
        try:
            documents = await self._collection.find({}).sort("_id", 1).to_list(None)
        except PyMongoError as error:
            raise StoreUnavailable(str(error)) from error
        return [_to_record(document) for document in documents]


def _to_document(record: UserRecord) -> dict[str, Any]:
    document = record.model_dump(mode="json", exclude={"username"})
    document["_id"] = record.username
    return document


def _to_record(document: dict[str, Any]) -> UserRecord:
    fields = {key: value for key, value in document.items() if key != "_id"}
    return UserRecord.model_validate({**fields, "username": document["_id"]})
