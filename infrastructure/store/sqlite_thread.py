"""A unit of work run whole on the thread of an aiosqlite connection: one hop for many statements.

aiosqlite runs each statement on the connection's own thread and wakes the event loop with its result, so
a batch of a dozen statements (begin, insert, a read per table, a write per table, commit) paid a dozen
round trips between the threads: a queue put, a thread wake-up, a write to the loop's self-pipe, a turn of
the loop and a task step each, the largest share of the projector's CPU per batch. Here a plain function
is handed the `sqlite3.Connection` and runs its statements there in one go, on the same queue of calls
aiosqlite's own methods use (so it is ordered with them, and never runs beside another statement).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar
from typing import cast

import aiosqlite

T = TypeVar("T")


async def on_connection_thread(
    connection: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T]
) -> T:
    """The result of `work`, called with the connection's `sqlite3.Connection` on the connection's thread.

    Raises what `work` raises; ValueError if the connection is closed.
    """
    # `_execute` queues a call for the connection's thread, as every public method of aiosqlite does (pinned
    # version, covered by the store's tests). `_conn` is read there, when the work runs.
    result = await connection._execute(lambda: work(connection._conn))  # type: ignore[no-untyped-call]
    return cast(T, result)


@contextmanager
def immediate_transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """The block in one transaction that holds the write lock from its start; rolled back on any error.

    The blocking twin of `sqlite_schema.write_transaction`, for work on the connection's thread.
    """
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
