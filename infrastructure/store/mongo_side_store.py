"""A MongoDB store over a few collections of its own, beside the read models or in the platform's database.

Run logs, run claims, bulk actions, trade calendars and user accounts are kept so. Such a store is made
over a database handle whose client the caller keeps, or by `from_url` with a client of its own, which
`close` then closes. `open` prepares its collections; a server that cannot be reached is `StoreUnavailable`.
"""

from __future__ import annotations

from typing import Any
from typing import ClassVar
from typing import Self

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from infrastructure.store.mongo_client import errors_unavailable
from infrastructure.store.mongo_client import make_client

Document = dict[str, Any]


class MongoSideStore:
    """A store over its own collections of one database; it closes its client only when it made it."""

    appname: ClassVar[str]  # the application name its own client gives the server (`from_url`)
    collection: ClassVar[str]  # its main collection (`_collection`), for a store that has one

    def __init__(
        self, database: AsyncDatabase[Document], *, client: AsyncMongoClient[Any] | None = None
    ) -> None:
        """Over `database`; `client` is closed by `close` when the store owns it."""
        self._database = database  # no I/O until the first command
        self._owned_client = client

    @property
    def _collection(self) -> AsyncCollection[Document]:
        return self._database[self.collection]

    @classmethod
    def from_url(cls, url: str, database: str) -> Self:
        """A store that owns its client, connected to `url` on first use (no I/O here)."""
        client = make_client(url, cls.appname)
        return cls(client[database], client=client)

    async def open(self) -> None:
        """Prepare the collections (`_prepare`); StoreUnavailable if the server cannot be reached."""
        with errors_unavailable("cannot reach MongoDB"):
            await self._prepare()

    async def _prepare(self) -> None:
        """Check the server answers; a store with indexes to make does that instead."""
        await self._database.command("ping")

    async def close(self) -> None:
        """Close the client if the store owns it."""
        if self._owned_client is not None:
            await self._owned_client.close()
