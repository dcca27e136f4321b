"""User accounts in MongoDB (collection `scheduler_users`, `_id` = username), via PyMongo's async API."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from pymongo.errors import PyMongoError

from infrastructure.store.mongo_client import errors_unavailable
from infrastructure.store.mongo_sessions import MongoSessionCollections
from infrastructure.store.mongo_side_store import MongoSideStore
from infrastructure.store.port import StoreUnavailable
from infrastructure.store.users_port import UserRecord

COLLECTION = "scheduler_users"
Document = dict[str, Any]


class MongoUserStore(MongoSideStore, MongoSessionCollections):
    """Users in MongoDB.

    It closes its client only when it owns it (`MongoSideStore`); also the tokens' revocation state
    (`MongoSessionCollections`).
    """

    collection = COLLECTION
    appname = "scheduler-users"

    async def open(self) -> None:
        """Checks the server answers; the TTL indexes of the revocation state (`_id` is the username)."""
        await super().open()
        await self.create_session_indexes()

    @property
    def _sessions_db(self) -> AsyncDatabase[Document]:
        return self._database

    async def get_user(self, username: str) -> UserRecord | None:
        """The account with this username; None if there is none."""
        with errors_unavailable():
            document = await self._collection.find_one({"_id": username})
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
        with errors_unavailable():
            await self._collection.replace_one({"_id": record.username}, _to_document(record), upsert=True)

    async def list_users(self) -> list[UserRecord]:
        """Every account, ordered by username."""
        with errors_unavailable():
            documents = await self._collection.find({}).sort("_id", 1).to_list(None)
        return [_to_record(document) for document in documents]


def _to_document(record: UserRecord) -> dict[str, Any]:
    document = record.model_dump(mode="json", exclude={"username"})
    document["_id"] = record.username
    return document


def _to_record(document: dict[str, Any]) -> UserRecord:
    fields = {key: value for key, value in document.items() if key != "_id"}
    return UserRecord.model_validate({**fields, "username": document["_id"]})
