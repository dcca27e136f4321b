"""The console's run log: the lines of a running canary appear live in its detail, then the log ends with the
run; the level filter, the search and the download work on them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.browsing import ConsoleSystem
from tests.browser.browsing import expect
from tests.browser.browsing import open_console
from tests.browser.browsing import sign_in

pytestmark = pytest.mark.e2e


async def test_the_run_log_is_live_filtered_searched_and_downloaded(
    system: ConsoleSystem, browser: Any, page_errors: list[str], artifacts: Path, tmp_path: Path
) -> None:
    page = await open_console(browser, system, page_errors)
    await sign_in(page)
    execution_id = await system.api.trigger("pipeline_canary", duration_s=6, steps=6)
    await page.click("a[data-tab=runs]")
    row = page.locator(f"#runs-table tr[data-execution-id='{execution_id}']")
    await expect(row).to_have_attribute("data-status", "running")
    await row.locator("[data-role=run-detail]").click()
    panel = page.locator("dialog[data-testid=run-detail] [data-testid=run-logs]")
    lines = panel.locator("[data-testid=run-log-lines] li[data-level]")

    await expect(lines.first).to_contain_text("canary step 1/6")
    await expect(panel.locator("[data-testid=run-log-state]")).to_have_text("实时")
    assert await lines.count() < 6, "lines arrive while the run goes on"
    await expect(lines).to_have_count(6, timeout=20000)
    await expect(panel.locator("[data-testid=run-log-state]")).to_have_text("已结束", timeout=20000)
    await expect(lines.nth(5)).to_contain_text("INFO")
    await page.screenshot(path=str(artifacts / "run-log.png"))

    await panel.locator("[data-role=run-log-search]").fill("step 3/")
    await expect(panel.locator("[data-testid=run-log-lines] li[data-level]:visible")).to_have_count(1)
    await expect(panel.locator("[data-testid=run-log-count]")).to_have_text("1 / 6 行")

    async with page.expect_download() as downloading:
        await panel.locator("[data-role=run-log-download]").click()
    download = await downloading.value
    saved = tmp_path / "run.log"
    await download.save_as(saved)
    assert download.suggested_filename == f"run-{execution_id}.log"
    assert (
        saved.read_text().splitlines()
        == [line for line in saved.read_text().splitlines() if "canary step 3/6" in line]
        and len(saved.read_text().splitlines()) == 1
    )

    await panel.locator("[data-role=run-log-search]").fill("")
    await panel.locator("[data-role=run-log-level]").select_option("WARNING")
    await expect(panel.locator("[data-testid=run-log-state]")).to_have_text("已结束")
    await expect(lines).to_have_count(0)
    await expect(panel.locator("[data-testid=run-log-count]")).to_have_text("0 / 0 行")
