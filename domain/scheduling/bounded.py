"""Copies of the decider's mappings with one entry changed (its states are never changed in place).

`remembered` keeps a bounded memory (the newest entries, up to a limit); `without` drops an entry.
"""

from __future__ import annotations

from collections.abc import Hashable
from collections.abc import Mapping
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


def without(mapping: Mapping[K, V], key: K) -> dict[K, V]:
    """A copy of `mapping` without `key` (a plain copy when `key` is not there)."""
    kept = dict(mapping)
    kept.pop(key, None)
    return kept
