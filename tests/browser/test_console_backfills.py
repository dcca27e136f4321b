"""The console's backfill dialog, in headless Chromium: offered on the canary (its kind takes a date range),
a five-day range at two at a time, then its live progress until every day is done."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.browsing import ConsoleSystem
from tests.browser.browsing import expect
from tests.browser.browsing import open_console
from tests.browser.browsing import sign_in

pytestmark = pytest.mark.e2e

ROW = "#jobs-table tr[data-job-id='pipeline_canary']"


async def test_backfill_dialog_and_its_progress(
    system: ConsoleSystem, browser: Any, page_errors: list[str]
) -> None:
    page = await open_console(browser, system, page_errors)
    await sign_in(page)
    await page.click(f"{ROW} [data-role=job-detail]")
    await page.click("dialog[data-testid=job-detail] [data-role=backfill]")
    dialog = page.locator("dialog[data-testid=backfill-dialog]")
    await dialog.locator("input[name=start_date]").fill("2024-01-01")
    await dialog.locator("input[name=end_date]").fill("2024-01-08")
    await dialog.locator("input[name=max_parallel]").fill("2")
    await dialog.locator("[data-role=submit]").click()
    progress = page.locator("dialog[data-testid=backfill-progress]")
    await expect(progress.locator("tr[data-day]")).to_have_count(5, timeout=15_000)
    await expect(progress.locator("[data-count=done] strong")).to_have_text("5", timeout=30_000)
    await expect(progress.locator("[data-count=total] strong")).to_have_text("5")
    await expect(progress).to_contain_text("已完成")
    assert page_errors == []
