"""`python -m bench.login_attempts [--seconds N]`: how many password guesses per second an attacker gets.

The API (local mode, default limits) in this process over ASGI, one client address; first one username
guessed as fast as the loop goes, then a new username on every attempt. Prints, per case, the requests
sent, the answers by status and the password checks the server actually made (the 401s) per second.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx

from infrastructure.bus.memory_bus import InMemoryBus
from infrastructure.store.sqlite_store import SQLiteStore
from infrastructure.store.sqlite_users import SQLiteUserStore
from services.api.app import create_app
from services.api.auth import new_user
from services.api.settings import ApiSettings

CASES: dict[str, Callable[[int], str]] = {
    "one username": lambda attempt: "admin",
    "a new username each time, one address": lambda attempt: f"user{attempt}",
}


async def guess(
    settings: ApiSettings,
    users: SQLiteUserStore,
    store: SQLiteStore,
    pick: Callable[[int], str],
    seconds: float,
) -> tuple[int, Counter[int], float]:
    bus = InMemoryBus()
    await bus.start()
    app = create_app(settings=settings, store=store, bus=bus, users=users)  # fresh limits
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    statuses: Counter[int] = Counter()
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://api") as http,
    ):
        start, attempt = time.monotonic(), 0
        while time.monotonic() - start < seconds:
            body = {"username": pick(attempt), "password": f"guess-{attempt}"}
            statuses[(await http.post("/api/auth/login", json=body)).status_code] += 1
            attempt += 1
    await bus.close()
    return attempt, statuses, time.monotonic() - start


async def main(seconds: float) -> None:
    with tempfile.TemporaryDirectory() as directory:
        settings = ApiSettings(data_dir=Path(directory), jwt_secret="bench-" + "k" * 40, _env_file=None)
        store, users = SQLiteStore(settings.sqlite_file), SQLiteUserStore(settings.sqlite_file)
        await store.open()
        await users.open()
        try:
            await users.put_user(new_user("admin", "a-long-real-password", "admin"))
            print(
                f"limits: {settings.login_attempts_per_username}/min per username, "
                f"{settings.login_attempts_per_address}/min per address; {seconds:.0f} s per case"
            )
            for label, pick in CASES.items():
                sent, statuses, elapsed = await guess(settings, users, store, pick, seconds)
                checks = statuses[401]
                print(
                    f"{label}: {sent} requests ({sent / elapsed:.0f}/s), answers {dict(statuses)}, "
                    f"password checks {checks} = {checks / elapsed:.3f}/s"
                )
        finally:
            await users.close()
            await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    asyncio.run(main(parser.parse_args().seconds))
