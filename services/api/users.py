"""Entry point: `python -m services.api.users add|reset-password|list|disable|enable` (see `users_cli`)."""

from __future__ import annotations

from services.api.users_cli import main

if __name__ == "__main__":
    raise SystemExit(main())
