"""What every store port shares: the composition root opens a store before its first use and closes it.

The event store and read models (`port.StoreLifecycle`), the side stores (run logs, run claims, bulk
actions, trade calendars, user accounts), the platform's account directory and the market-data store all
open and close the same way; each port adds its own operations to this one.
"""

from __future__ import annotations

from typing import Protocol


class Lifecycle(Protocol):
    """A store the composition root opens before its first use and closes when it stops."""

    async def open(self) -> None:
        """Connect, and create the tables or collections and indexes the store owns if they are missing."""

    async def close(self) -> None:
        """Close the connection (a client the store made; one it was given stays open)."""
