"""Browser tests of the web console: the whole system in one process, driven by headless Chromium.

Chromium is Debian's (`/usr/bin/chromium`, package `chromium`), driven by Playwright for Python; Playwright's
own browser download is never used. Without Chromium or Playwright the tests are skipped, except under
`CI=true`, where they fail.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.browsing import ARTIFACTS
from tests.browser.browsing import CHROMIUM
from tests.browser.browsing import CHROMIUM_ARGS
from tests.browser.browsing import LOOKS
from tests.browser.browsing import SERVER_MODULE
from tests.browser.browsing import ConsoleSystem
from tests.browser.browsing import Look
from tests.e2e.harness import ApiClient
from tests.e2e.harness import ServiceProcess
from tests.e2e.harness import base_env
from tests.e2e.harness import free_port
from tests.e2e.harness import running


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (required when CI=true)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        _missing("the Python package playwright is not installed")
    if not CHROMIUM.is_file():
        _missing(f"{CHROMIUM} is missing: apt-get install -y chromium")
    return CHROMIUM


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
async def system(tmp_path: Path, chromium_path: Path) -> AsyncIterator[ConsoleSystem]:
    port = free_port()
    env = base_env(tmp_path / "data", SCHEDULER_PORT=str(port))
    processes = [ServiceProcess(SERVER_MODULE, env, tmp_path, name="console-0")]
    with running(processes):
        client = ApiClient(f"http://127.0.0.1:{port}")
        try:
            await client.wait_ready(processes)
            await client.login()
            await client.wait_for_job("pipeline_canary")
            yield ConsoleSystem(f"http://127.0.0.1:{port}", client, env, tmp_path, processes)
        finally:
            await client.close()


@pytest.fixture
async def browser(chromium_path: Path) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture(params=LOOKS, ids=lambda look: look.id)
def look(request: pytest.FixtureRequest) -> Look:
    """Each language at each size: a test that asks for it runs four times (issue 29's browser matrix)."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def page_errors() -> Iterator[list[str]]:
    """JavaScript errors of the pages a test opens; the test fails if there is any."""
    errors: list[str] = []
    yield errors
    assert not errors, f"JavaScript errors in the page: {errors}"
