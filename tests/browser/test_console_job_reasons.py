"""Why a job is paused, beside its state; resuming a job that cannot run asks first (the API refuses it)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.browsing import ConsoleSystem, expect, open_console, sign_in

pytestmark = pytest.mark.e2e


async def test_a_disabled_job_shows_why_and_resuming_it_asks_with_the_safe_choice_focused(
    system: ConsoleSystem, browser: Any, page_errors: list[str]
) -> None:
    jobs = await system.api.data("GET", "/api/scheduler/jobs")
    disabled = next(job for job in jobs if "SCHEDULER_TUSHARE_TOKEN" in (job.get("paused_reason") or ""))
    page = await open_console(browser, system, page_errors)
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
