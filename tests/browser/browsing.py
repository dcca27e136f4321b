"""What the browser tests share: the running system, Chromium's settings, signing in to the console."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from playwright.async_api import expect
else:
    try:
        from playwright.async_api import expect
    except ImportError:  # the `chromium_path` fixture skips (or fails under CI=true) and says why
        expect = None

from tests.e2e.harness import ADMIN
from tests.e2e.harness import ROOT
from tests.e2e.harness import ApiClient
from tests.e2e.harness import ServiceProcess

__all__ = ["expect"]

CHROMIUM = Path(os.environ.get("CONSOLE_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
VIEWER = ("viewer", "viewer-password-1")
SERVER_MODULE = "tests.browser.console_server"


@dataclass
class ConsoleSystem:
    """The running system: its address, an API client signed in as admin, and how to restart it."""

    base_url: str
    api: ApiClient
    env: dict[str, str]
    log_dir: Path
    processes: list[ServiceProcess]

    def add_user(self, username: str, password: str, role: str) -> None:
        """Create an account with the operators' CLI, against the running system's store."""
        users_cli = [sys.executable, "-m", "services.api.users"]
        command = [*users_cli, "add", username, "--role", role, "--password-stdin"]
        done = subprocess.run(
            command, cwd=ROOT, env=self.env, input=password + "\n", capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr

    def stop(self) -> None:
        self.processes[-1].stop()

    async def start_again(self) -> None:
        """A new process on the same port and data (what a restart or a network cut looks like)."""
        process = ServiceProcess(SERVER_MODULE, self.env, self.log_dir, name=f"console-{len(self.processes)}")
        self.processes.append(process)
        await self.api.wait_ready([process])


# The console as operators see it: both languages, on a desktop and on a phone (issue 29's sizes).
LANGUAGES = ("zh", "en")
SIZES = {"phone": (390, 844), "desktop": (1440, 900)}


@dataclass(frozen=True)
class Look:
    """One language at one window size; `id` names it in test ids and failure messages."""

    language: str
    size: str

    @property
    def id(self) -> str:
        return f"{self.language}-{self.size}"

    @property
    def phone(self) -> bool:
        return self.size == "phone"


LOOKS = [Look(language, size) for language in LANGUAGES for size in SIZES]


async def open_console(
    browser: Any, system: ConsoleSystem, errors: list[str], look: Look | None = None
) -> Any:
    """A new page on the console; with `look`, in its language and at its window size (else Chinese, wide)."""
    width, height = SIZES[look.size] if look else (1440, 1000)
    context = await browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    if look is not None:
        # Every document the context opens; about:blank has no storage, hence the guard.
        language = f"localStorage.setItem('scheduler.console.lang', '{look.language}')"
        await context.add_init_script(f"try {{ {language}; }} catch {{}}")
    context.set_default_timeout(15000)
    page = await context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(system.base_url + "/")
    return page


async def sign_in(page: Any, username: str = ADMIN[0], password: str = ADMIN[1]) -> None:
    await page.fill("#login-form [name=username]", username)
    await page.fill("#login-form [name=password]", password)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_selector("#jobs-table tr[data-job-id='pipeline_canary']")
    await page.wait_for_selector("body[data-stream='live']")


TRANSLATE = """async ([key, params]) => (await import('/console/i18n.js')).t(key, params)"""


async def text(page: Any, key: str, /, **params: object) -> str:
    """The console's own label for `key` in the page's language (its i18n tables, not a copy of them)."""
    label = await page.evaluate(TRANSLATE, [key, {name: str(value) for name, value in params.items()}])
    assert label != key, f"no label for {key}"
    return str(label)
