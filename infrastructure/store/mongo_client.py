"""How the MongoDB adapters talk to a server.

Client timeouts, which errors mean "the server is away for a while" (an election, a restart, a network cut),
retries with backoff, and transactions where the server has them.

A replica set elects a new primary within about 10-12 s of losing one; until then writes fail with "not
primary" (`NotPrimaryError`) or time out choosing a server (`ServerSelectionTimeoutError`). Those are
*transient*: the caller waits and tries again. Anything else (a refused document, a bug) is not.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import re
import time
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Coroutine
from collections.abc import Iterator
from typing import Any
from typing import ParamSpec
from typing import TypeVar

import pymongo
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError
from pymongo.errors import ConnectionFailure
from pymongo.errors import OperationFailure
from pymongo.errors import PyMongoError

from infrastructure.store.port import StoreUnavailable

Document = dict[str, Any]
P = ParamSpec("P")
R = TypeVar("R")
logger = logging.getLogger(__name__)

# Client defaults, unless the URL sets them: give up choosing a server after 5 s (the driver's default is
# 30 s) and bound every operation, retries included, to 10 s (`timeoutMS`, client-side operation timeout).
SERVER_SELECTION_TIMEOUT_MS = 5_000
OPERATION_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT_MS = 5_000
# Steps whose time grows with the data (index builds, retention, a replay's swap): their own bound.
LONG_OPERATION_S = 3_600.0

# Server error codes meaning "not primary now" or "retry later" (PyMongo's retryable-writes set).
TRANSIENT_CODES = frozenset({10058, 10107, 13435, 11602, 13436, 189, 11600, 91, 7, 6, 89, 9001, 262, 134})
TRANSIENT_LABELS = ("RetryableWriteError", "TransientTransactionError")
DUPLICATE_KEY = 11000  # the server's code for a write whose unique key is taken already


def _unless_in_url(url: str, **options: int) -> dict[str, Any]:
    """The options the URL does not set itself (an operator's URL wins)."""
    return {
        name: value for name, value in options.items() if not re.search(rf"[?&]{name}=", url, re.IGNORECASE)
    }


def make_client(url: str, appname: str) -> AsyncMongoClient[Document]:
    """A client with explicit server-selection, connect and operation timeouts; no I/O until first used."""
    options = _unless_in_url(
        url,
        serverSelectionTimeoutMS=SERVER_SELECTION_TIMEOUT_MS,
        timeoutMS=OPERATION_TIMEOUT_MS,
        connectTimeoutMS=CONNECT_TIMEOUT_MS,
    )
    return AsyncMongoClient(url, tz_aware=True, connect=False, appname=appname, **options)


def long_operations() -> contextlib.AbstractContextManager[None]:
    """A block whose operations may take up to `LONG_OPERATION_S` each, not `timeoutMS`."""
    return pymongo.timeout(LONG_OPERATION_S)


def is_transient(error: BaseException) -> bool:
    """Whether `error` means the server is away for a while (retry), not that the request is wrong."""
    if isinstance(error, ConnectionFailure):  # NotPrimaryError, ServerSelectionTimeoutError, AutoReconnect
        return True
    if not isinstance(error, PyMongoError):
        return False
    if error.timeout or any(error.has_error_label(label) for label in TRANSIENT_LABELS):
        return True
    return isinstance(error, OperationFailure) and error.code in TRANSIENT_CODES


def refused_writes(error: BulkWriteError) -> list[dict[str, Any]]:
    """The writes of a bulk write that the server refused for another reason than a duplicate key."""
    return [item for item in error.details.get("writeErrors", []) if item.get("code") != DUPLICATE_KEY]


def reachable(method: Callable[P, Awaitable[R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Report a transient error as `StoreUnavailable`.

    The API answers 503, the projector holds its batch and retries; other errors pass unchanged.
    """

    @functools.wraps(method)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except PyMongoError as error:
            if is_transient(error):
                raise StoreUnavailable(f"MongoDB unavailable: {error}") from error
            raise

    return guarded


@contextlib.contextmanager
def errors_unavailable(what: str | None = None) -> Iterator[None]:
    """Any server error in the block becomes `StoreUnavailable`, saying `what` was not done (if given).

    Unlike `reachable`, which passes on the errors that are not transient, this is for the stores beside
    the read models, whose callers treat every server error alike.
    """
    try:
        yield
    except PyMongoError as error:
        raise StoreUnavailable(f"{what}: {error}" if what else str(error)) from error


def backoff_s(attempt: int, *, first: float = 0.1, cap: float = 5.0) -> float:
    """Exponential backoff with full jitter: 0.1, 0.2, 0.4 ... up to `cap` seconds."""
    return random.uniform(0, min(cap, first * 2**attempt))


async def with_retries(
    operation: Callable[[], Awaitable[R]],
    what: str,
    *,
    give_up_after_s: float,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> R:
    """The result of `operation()`, retried after transient errors.

    `operation()`, tried again after transient errors with backoff for up to `give_up_after_s`; then
    `StoreUnavailable`. Each retry is logged.
    """
    deadline = time.monotonic() + give_up_after_s
    for attempt in range(1_000_000):
        try:
            return await operation()
        except (PyMongoError, StoreUnavailable) as error:
            if isinstance(error, PyMongoError) and not is_transient(error):
                raise
            delay = backoff_s(attempt)
            if time.monotonic() + delay > deadline:
                raise StoreUnavailable(
                    f"{what}: MongoDB unavailable for {give_up_after_s:g} s: {error}"
                ) from error
            logger.warning(
                "%s: MongoDB unavailable (%s); retry %d in %.2f s", what, error, attempt + 1, delay
            )
            await sleep(delay)
    raise AssertionError("unreachable")


async def supports_transactions(database: AsyncDatabase[Document]) -> bool:
    """Whether the server runs multi-document transactions.

    A replica-set member or a sharded cluster's router. A standalone server (and the in-process emulation,
    which knows no `hello`) does not.
    """
    try:
        hello = await database.command("hello")
    except NotImplementedError:  # the emulation
        return False
    return bool(hello.get("setName")) or hello.get("msg") == "isdbgrid"


Work = Callable[[AsyncClientSession | None], Awaitable[R]]


async def in_transaction(client: Any, transactions: bool, work: Work[R]) -> R:
    """The result of `work`, in one transaction when the server has them.

    `work(session)` in one transaction when the server has them (`with_transaction` retries the whole
    callback on `TransientTransactionError` and the commit on `UnknownTransactionCommitResult`), else
    `work(None)`: each write on its own, idempotent, completed by redelivery after a crash.
    """
    if not transactions:
        return await work(None)
    async with client.start_session() as session:
        result: R = await session.with_transaction(work)
        return result
