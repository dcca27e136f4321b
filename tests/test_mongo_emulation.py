"""The emulation itself stays usable for a whole test session: its bulk-update fix is never stacked."""

from __future__ import annotations

import sys

from mongomock.collection import BulkOperationBuilder
from pymongo import UpdateOne

from tests.mongo_emulation import emulated_client


async def test_many_collections_do_not_stack_the_bulk_update_fix() -> None:
    """More collections than the recursion limit allows wrappers: each bulk update still works."""
    for index in range(sys.getrecursionlimit() + 100):
        collection = emulated_client()["db"][f"c{index}"]
        await collection.bulk_write([UpdateOne({"_id": 1}, {"$set": {"n": index}}, upsert=True)])
    assert await collection.find_one({"_id": 1}) == {"_id": 1, "n": index}
    assert BulkOperationBuilder.add_update.__name__ == "add_update_compat"
