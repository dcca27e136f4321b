"""The platform's user accounts, read-only: who may use the API when it runs behind the platform.

The platform (its own login, its own MongoDB) keeps its accounts in a `users` collection with at least
`username`, `is_admin` and `is_active`. Adapter: `mongo_platform_users.MongoPlatformUsers`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from infrastructure.store.lifecycle_port import Lifecycle


@dataclass(frozen=True)
class PlatformUser:
    """An account of the platform the scheduler is part of: its name, and whether admin and active."""

    username: str
    is_admin: bool
    is_active: bool


class PlatformUserDirectory(Lifecycle, Protocol):
    """The platform's accounts, read only: whom to let in when sign-in goes through the platform.

    Opening it creates nothing: the platform owns its accounts.
    """

    async def find_user(self, username: str) -> PlatformUser | None:
        """The account with this username, or None."""
