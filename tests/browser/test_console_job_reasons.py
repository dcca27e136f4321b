"""Why a job is paused, beside its state; resuming a job that cannot run asks first (the API refuses it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from domain.catalogue import DATA_SYNC_JOBS
from tests.browser.browsing import SERVER_MODULE
from tests.browser.browsing import ConsoleSystem
from tests.browser.browsing import Look
from tests.browser.browsing import expect
from tests.browser.browsing import open_console
from tests.browser.browsing import sign_in
from tests.e2e.harness import ApiClient
from tests.e2e.harness import ServiceProcess
from tests.e2e.harness import base_env
from tests.e2e.harness import free_port
from tests.e2e.harness import running

pytestmark = pytest.mark.e2e
TUSHARE_JOB = next(entry.job_id for entry in DATA_SYNC_JOBS if entry.needs_tushare)


@pytest.fixture
async def system(tmp_path: Path, chromium_path: Path) -> AsyncIterator[ConsoleSystem]:
    """The system with one tushare job left to its registration (no token: paused, with the reason) instead
    of paused by the tests' settings. Paused either way: it never fires."""
    port = free_port()
    env = base_env(tmp_path / "data", SCHEDULER_PORT=str(port))
    env.pop(f"SCHEDULER_JOBS__{TUSHARE_JOB.upper()}__ENABLED", None)
    env.pop("SCHEDULER_TUSHARE_TOKEN_SET", None)
    processes = [ServiceProcess(SERVER_MODULE, env, tmp_path, name="console-0")]
    with running(processes):
        client = ApiClient(f"http://127.0.0.1:{port}")
        try:
            await client.wait_ready(processes)
            await client.login()
            await client.wait_for_job(TUSHARE_JOB)
            yield ConsoleSystem(f"http://127.0.0.1:{port}", client, env, tmp_path, processes)
        finally:
            await client.close()


async def test_a_disabled_job_shows_why_and_resuming_it_asks_with_the_safe_choice_focused(
    system: ConsoleSystem, browser: Any, page_errors: list[str], look: Look
) -> None:
    disabled = await system.api.data("GET", f"/api/scheduler/jobs/{TUSHARE_JOB}")
    assert disabled["paused"] is True and "SCHEDULER_TUSHARE_TOKEN" in disabled["paused_reason"]
    page = await open_console(browser, system, page_errors, look)
    await sign_in(page)
    row = page.locator(f"#jobs-table tr[data-job-id='{disabled['id']}']")
    await expect(row.locator("[data-testid=pause-reason]")).to_contain_text("SCHEDULER_TUSHARE_TOKEN")

    resumes: list[str] = []
    page.on("request", lambda request: resumes.append(request.url) if "/resume" in request.url else None)
    await row.locator("[data-action=resume]").click()
    dialog = page.locator("dialog[data-testid=confirm-dialog]")
    await expect(dialog).to_contain_text("SCHEDULER_TUSHARE_TOKEN")
    await expect(dialog.locator("[data-role=close]")).to_be_focused()
    await page.keyboard.press("Enter")  # the focused, safe choice: nothing is resumed
    await expect(dialog).to_have_count(0)

    assert len(resumes) == 1 and "confirm" not in resumes[0]
    job = await system.api.data("GET", f"/api/scheduler/jobs/{disabled['id']}")
    assert job["paused"] is True
    await expect(row.locator("[data-action=resume]")).to_be_visible()
