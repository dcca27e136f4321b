"""A replay's fresh read models in the MongoDB store: `<collection>_rebuild` collections in the same database.

The swap renames each fresh collection over its live one (`renameCollection` with `dropTarget`: atomic per
collection). Several renames are not one transaction, so the swap is written down first (a marker in
`scheduler_rebuild`) and completed by whoever opens the store next should the process die halfway: the
read models may be mixed for that long, never left so.

One replay at a time: a lock document in `scheduler_rebuild` (`_id: "lock"`) names the running one; a task
refreshes it every `REPLAY_LOCK_REFRESH_S` from `create` to `discard`, through every long step (folding,
index builds on the full collections, the comparison), and a lock left stale is taken over. Two replays at
once would drop and refill each other's fresh collections and swap in a mix.

The rebuilt list counters (`scheduler_executions_rebuild_counts`) are swapped in with the read models.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from collections.abc import Collection
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from pymongo.errors import PyMongoError

from domain.read_model import ReadModelChanges
from domain.read_model import ReadModelView
from infrastructure.store import mongo_counts
from infrastructure.store import mongo_read_models
from infrastructure.store.mongo_client import long_operations
from infrastructure.store.mongo_counts import counts_collection
from infrastructure.store.mongo_indexes import ensure_indexes
from infrastructure.store.mongo_schema import INDEXES
from infrastructure.store.port import REPLAY_LOCK_REFRESH_S
from infrastructure.store.port import REPLAY_LOCK_STALE_S
from infrastructure.store.port import CatchUp
from infrastructure.store.port import Difference
from infrastructure.store.port import ReplayInProgress
from infrastructure.store.port import RetentionCutoffs
from infrastructure.store.read_model_names import LIVE
from infrastructure.store.read_model_names import REBUILD

Document = dict[str, Any]
SWAPS = "scheduler_rebuild"  # {_id: "swap", pairs: [[fresh, live], ...]} while a swap is in progress
PAIRS = [
    *zip(REBUILD.names(), LIVE.names(), strict=True),
    (counts_collection(REBUILD), counts_collection(LIVE)),
]
FRESH = [fresh for fresh, _ in PAIRS]
logger = logging.getLogger(__name__)


async def complete_pending_swap(database: AsyncDatabase[Document]) -> bool:
    """Finish a swap that a replay started and did not finish; whether there was one."""
    marker = await database[SWAPS].find_one({"_id": "swap"})
    if marker is None:
        return False
    existing = set(await database.list_collection_names())
    for fresh, live in marker["pairs"]:
        if fresh in existing:  # not renamed yet
            await database[fresh].rename(live, dropTarget=True)
    await database[SWAPS].delete_one({"_id": "swap"})
    return True


LOCK = "lock"


class MongoRebuild:
    """Fresh collections beside the live ones that a replay fills, then renames over them or compares."""

    def __init__(self, database: AsyncDatabase[Document], holder: str) -> None:
        self._database = database
        self._holder = holder
        self._keep_alive: asyncio.Task[None] | None = None

    @property
    def needs_live_catch_up(self) -> bool:
        """True: nothing stops the projector writing to the live collections during the renames."""
        return True  # nothing stops the projector writing to the live collections during the renames

    async def create(self) -> None:
        """Take the replay lock (kept alive while the replay runs) and create empty fresh collections."""
        await self._lock()
        self._keep_alive = asyncio.create_task(self._refresh_lock(), name="replay-lock")
        with long_operations():
            await complete_pending_swap(self._database)
            await self._drop_fresh()  # left-overs of a replay that died
        for fresh in FRESH:
            await self._database.create_collection(fresh)  # exists even if nothing is written to it
        await mongo_counts.ensure_counts(self._database, counts_collection(REBUILD), {})

    async def _lock(self) -> None:
        now = datetime.now(UTC)
        taken = {"_id": LOCK, "holder": self._holder, "acquired_at": now, "refreshed_at": now}
        try:
            await self._database[SWAPS].insert_one(taken)
        except DuplicateKeyError:
            stale = now - timedelta(seconds=REPLAY_LOCK_STALE_S)
            previous = await self._database[SWAPS].find_one_and_replace(
                {"_id": LOCK, "refreshed_at": {"$lt": stale}}, taken
            )
            if previous is None:
                held = await self._database[SWAPS].find_one({"_id": LOCK}) or {}
                raise ReplayInProgress(
                    f"another replay is running on this database: {held.get('holder')}, since "
                    f"{held.get('acquired_at')} (its lock expires after {REPLAY_LOCK_STALE_S:.0f} s "
                    "of silence)"
                ) from None

    async def _refresh_lock(self) -> None:
        """Every `REPLAY_LOCK_REFRESH_S` until cancelled; a failed refresh is logged and tried again."""
        while True:
            await asyncio.sleep(REPLAY_LOCK_REFRESH_S)
            try:
                result = await self._database[SWAPS].update_one(
                    {"_id": LOCK, "holder": self._holder}, {"$set": {"refreshed_at": datetime.now(UTC)}}
                )
            except PyMongoError as error:
                logger.warning("replay lock not refreshed (%s); trying again", error)
                continue
            if result.matched_count == 0:
                logger.error("replay lock of %s lost: another replay took it over", self._holder)

    async def load_view(
        self, execution_ids: Collection[str], job_ids: Collection[str], backfill_ids: Collection[str] = ()
    ) -> ReadModelView:
        """What the fresh collections hold so far.

        Of these executions (records and tombstones), jobs and backfills.
        """
        return await mongo_read_models.load_view(
            self._database, REBUILD, execution_ids, job_ids, backfill_ids
        )

    async def apply_changes(self, changes: ReadModelChanges) -> None:
        """Write a batch's changes to the fresh collections."""
        if changes:
            await mongo_read_models.apply_changes(self._database, REBUILD, changes, with_state=False)

    async def prune(self, cutoffs: RetentionCutoffs) -> None:
        """Retention on the fresh collections (never on the event store)."""
        await mongo_read_models.prune_read_models(self._database, REBUILD, cutoffs)

    async def swap_in(self, catch_up: CatchUp) -> None:
        """Run `catch_up`, then rename the fresh collections over the live ones.

        The renames are recorded first, so the next `open` completes them should the process die
        between two.
        """
        await catch_up()
        with long_operations():
            for fresh, live in PAIRS:  # the live collections' indexes, built on the full collections
                if INDEXES.get(live):
                    await ensure_indexes(self._database[fresh], INDEXES[live])
            await self._database[SWAPS].replace_one(
                {"_id": "swap"}, {"_id": "swap", "pairs": [list(pair) for pair in PAIRS]}, upsert=True
            )
            await complete_pending_swap(self._database)

    async def compare(self, catch_up: CatchUp, limit: int) -> tuple[list[Difference], int]:
        """Run `catch_up`, then compare the fresh collections with the live ones.

        Answers the differences (up to `limit`) and how many there are in all.
        """
        await catch_up()
        differences: list[Difference] = []
        total = 0
        with long_operations():  # two cursors over whole collections
            for fresh, live in zip(REBUILD.names(), LIVE.names(), strict=True):  # (counters follow these)
                async for key, was, rebuilt in self._side_by_side(live, fresh):
                    if was != rebuilt:
                        total += 1
                        if len(differences) < limit:
                            differences.append(Difference(live, key, was, rebuilt))
        return differences, total

    async def _side_by_side(
        self, live: str, fresh: str
    ) -> AsyncIterator[tuple[str, Document | None, Document | None]]:
        """Both collections walked in `_id` order together (never all in memory)."""
        lefts = aiter(self._database[live].find({}).sort("_id", ASCENDING))
        rights = aiter(self._database[fresh].find({}).sort("_id", ASCENDING))
        left, right = await anext(lefts, None), await anext(rights, None)
        while left is not None or right is not None:
            if right is None or (left is not None and left["_id"] < right["_id"]):
                assert left is not None
                yield str(left.pop("_id")), left, None
                left = await anext(lefts, None)
            elif left is None or right["_id"] < left["_id"]:
                yield str(right.pop("_id")), None, right
                right = await anext(rights, None)
            else:
                key = str(left.pop("_id"))
                right.pop("_id")
                yield key, left, right
                left, right = await anext(lefts, None), await anext(rights, None)

    async def discard(self) -> None:
        """Drop the fresh collections (unless a swap is under way) and release the replay lock."""
        if self._keep_alive is not None:
            self._keep_alive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keep_alive
        if await self._database[SWAPS].find_one({"_id": "swap"}) is None:
            # (a swap under way: its collections are completed by the next `open`, never dropped)
            with long_operations():
                await self._drop_fresh()
        await self._database[SWAPS].delete_one({"_id": LOCK, "holder": self._holder})

    async def _drop_fresh(self) -> None:
        for fresh in FRESH:
            await self._database.drop_collection(fresh)
