"""Run claims: the first worker to claim (execution, attempt) runs it; any other copy is ignored.

A run request can reach workers twice (a redelivery after a lost acknowledgement, two schedulers firing
the same time during a hand-over); the claim makes each attempt run once across every worker process.
Adapters: `sqlite_claims.SQLiteRunClaims`, `mongo_claims.MongoRunClaims` (and `LocalRunClaims`, in
memory, for a single process).
"""

from __future__ import annotations

from typing import Protocol

from infrastructure.store.lifecycle_port import Lifecycle


class RunClaims(Lifecycle, Protocol):
    """Who runs an attempt: the first worker to claim (execution, attempt) runs it, the others drop it."""

    async def claim_run(self, execution_id: str, attempt: int, worker_id: str) -> bool:
        """True for the first claim of (execution_id, attempt), False for every later one."""


class LocalRunClaims:
    """Claims inside one process (the embedded mode runs every worker in it)."""

    def __init__(self) -> None:
        self._claimed: set[tuple[str, int]] = set()

    async def open(self) -> None:
        """Nothing to open."""

    async def close(self) -> None:
        """Nothing to close."""

    async def claim_run(self, execution_id: str, attempt: int, worker_id: str) -> bool:
        """True for the first claim of (execution_id, attempt), False for every later one."""
        key = (execution_id, attempt)
        if key in self._claimed:
            return False
        self._claimed.add(key)
        return True
