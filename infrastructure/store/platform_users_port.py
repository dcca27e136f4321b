"""The platform's user accounts, read-only: who may use the API when it runs behind the platform.

The platform (its own login, its own MongoDB) keeps its accounts in a `users` collection with at least
`username`, `is_admin` and `is_active`. Adapter: `mongo_platform_users.MongoPlatformUsers`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PlatformUser:
    """An account of the platform the scheduler is part of: its name, and whether admin and active."""

    username: str
    is_admin: bool
    is_active: bool


class PlatformUserDirectory(Protocol):
    """The platform's accounts, read only: whom to let in when sign-in goes through the platform."""

    async def open(self) -> None:
        """Get ready to look accounts up; nothing is created (the platform owns its accounts)."""

    async def close(self) -> None:
        """Close the connection (a client this directory made)."""

    async def find_user(self, username: str) -> PlatformUser | None:
        """The account with this username, or None."""
