"""A viewer reads everything and is offered no command: no mutating button anywhere in the console."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.browsing import VIEWER
from tests.browser.browsing import ConsoleSystem
from tests.browser.browsing import expect
from tests.browser.browsing import open_console
from tests.browser.browsing import sign_in

pytestmark = pytest.mark.e2e

MUTATING = (
    "[data-action], button:has-text('暂停'), button:has-text('恢复'), button:has-text('立即执行'), "
    "button:has-text('编辑'), button:has-text('取消'), button:has-text('标记失败'), button:has-text('删除')"
)


async def test_a_viewer_sees_no_mutating_buttons(
    system: ConsoleSystem, browser: Any, page_errors: list[str], artifacts: Path
) -> None:
    system.add_user(*VIEWER, role="viewer")
    finished = await system.api.trigger("pipeline_canary", duration_s=0.2, steps=2)
    await system.api.wait_for_execution(finished, {"success"})
    running = await system.api.trigger("pipeline_canary", duration_s=120, steps=120)
    await system.api.wait_for_execution(running, {"running"})

    page = await open_console(browser, system, page_errors)
    await sign_in(page, *VIEWER)
    await expect(page.locator("#whoami")).to_contain_text("只读用户")
    await expect(page.locator("#jobs-table tr[data-job-id]")).not_to_have_count(0)
    await expect(page.locator(MUTATING)).to_have_count(0)

    await page.click("#jobs-table tr[data-job-id='pipeline_canary'] [data-role=job-detail]")
    detail = page.locator("dialog[data-testid=job-detail]")
    await expect(detail.locator("[data-testid=job-stats]")).to_be_visible()
    await expect(page.locator(MUTATING)).to_have_count(0)
    await detail.locator("[data-role=close]").click()

    await page.click("a[data-tab=runs]")
    for execution_id in (running, finished):
        await expect(page.locator(f"#runs-table tr[data-execution-id='{execution_id}']")).to_be_visible()
    await expect(page.locator(MUTATING)).to_have_count(0)
    await page.screenshot(path=str(artifacts / "runs-viewer.png"), full_page=True)

    for execution_id in (running, finished):
        await page.click(f"#runs-table tr[data-execution-id='{execution_id}'] [data-role=run-detail]")
        run_detail = page.locator("dialog[data-testid=run-detail]")
        await expect(run_detail.locator("[data-testid=run-status]")).to_be_visible()
        await expect(page.locator(MUTATING)).to_have_count(0)
        await run_detail.locator("[data-role=close]").click()
    await system.api.data("POST", f"/api/scheduler/executions/{running}/cancel")
