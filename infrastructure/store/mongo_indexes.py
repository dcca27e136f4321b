"""Indexes matched by their keys, whatever their names.

A database the platform already uses may index the same keys under other names; a server refuses a second
index on the same keys with another name (`IndexOptionsConflict`, code 85) or other options
(`IndexKeySpecsConflict`, code 86). So an index is created only when no index with its keys exists; one
that exists is used as it is, and start-up logs what it found.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from pymongo import IndexModel
from pymongo.asynchronous.collection import AsyncCollection

logger = logging.getLogger(__name__)
Keys = tuple[tuple[str, Any], ...]


def _keys(specification: Any) -> Keys:
    return tuple((str(name), int(direction)) for name, direction in dict(specification).items())


async def existing_indexes(collection: AsyncCollection[Any]) -> dict[Keys, dict[str, Any]]:
    """The collection's indexes by their keys (names vary between deployments)."""
    cursor = await collection.list_indexes()
    return {_keys(index["key"]): dict(index) for index in await cursor.to_list()}


async def ensure_indexes(collection: AsyncCollection[Any], models: Sequence[IndexModel]) -> list[str]:
    """Create the indexes of `models` whose keys no index has yet; the names of those created.

    An index on the same keys kept under another name (or without `unique` where ours has it) is logged.
    """
    existing = await existing_indexes(collection)
    missing: list[IndexModel] = []
    for model in models:
        wanted = model.document
        found = existing.get(_keys(wanted["key"]))
        if found is None:
            missing.append(model)
            continue
        if found["name"] != wanted["name"] or bool(found.get("unique")) != bool(wanted.get("unique")):
            logger.info(
                "%s: index %r on %s already exists as %r (unique=%s); using it",
                collection.name,
                wanted["name"],
                dict(wanted["key"]),
                found["name"],
                bool(found.get("unique")),
            )
        if wanted.get("unique") and not found.get("unique"):
            logger.warning(
                "%s: index %r is not unique where this service expects a unique one on %s",
                collection.name,
                found["name"],
                dict(wanted["key"]),
            )
    if missing:
        return list(await collection.create_indexes(missing))
    return []
