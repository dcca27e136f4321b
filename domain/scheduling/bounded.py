"""Bounded memories of the decider: the newest entries of a mapping, up to a limit."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def remembered(mapping: Mapping[K, V], key: K, value: V, limit: int) -> dict[K, V]:
    """A copy of `mapping` with `key` set to `value`, its newest entry; the oldest dropped past `limit`."""
    kept = dict(mapping)
    kept.pop(key, None)
    kept[key] = value
    while len(kept) > limit:
        del kept[next(iter(kept))]
    return kept
