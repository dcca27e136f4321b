"""The console's alerts page on the embedded system (its alerter included): a failed canary shows as an open
incident, live, with the badge of open incidents in the header; an admin acknowledges and silences it from
the page; both languages; a viewer is offered no action."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.browsing import VIEWER
from tests.browser.browsing import ConsoleSystem
from tests.browser.browsing import expect
from tests.browser.browsing import open_console
from tests.browser.browsing import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


async def test_an_incident_live_acknowledged_and_silenced_from_the_page(
    system: ConsoleSystem, browser: Any, page_errors: list[str], artifacts: Path
) -> None:
    page = await open_console(browser, system, page_errors)
    await sign_in(page)
    await page.click("a[data-tab=alerts]")
    await expect(page.locator("[data-testid=incidents-empty]")).to_be_visible()
    await expect(page.locator("[data-testid=alert-badge]")).to_have_count(0)

    failed = await system.api.trigger("pipeline_canary", duration_s=0, fail=True)
    await system.api.wait_for_execution(failed, {"failed"})
    row = page.locator(
        "#alerts-view [data-testid=incidents-table] tr[data-incident^='run_failed:pipeline_canary']"
    )
    await expect(row).to_be_visible(timeout=20000)  # from the stream's AlertRaised, no reload
    await expect(row).to_contain_text("运行失败")
    await expect(page.locator("[data-testid=alert-badge]")).to_have_text("1")

    await row.locator("[data-action=acknowledge]").click()
    dialog = page.locator("dialog[data-testid=acknowledge-dialog]")
    await dialog.locator("[name=note]").fill("在处理")
    await dialog.locator("[data-role=submit]").click()
    await expect(row).to_contain_text("已确认（admin）")

    await row.locator("[data-action=silence]").click()
    dialog = page.locator("dialog[data-testid=silence-dialog]")
    await dialog.locator("[name=reason]").fill("维护窗口")
    await dialog.locator("[data-role=submit]").click()
    await expect(row).to_contain_text("已静默")
    await expect(page.locator("[data-testid=silences-table]")).to_contain_text("维护窗口")

    await row.locator("button", has_text="详情").click()
    detail = page.locator("dialog[data-testid=incident-detail]")
    await expect(detail).to_contain_text("pipeline_canary")
    await detail.locator("[data-role=close]").click()

    await page.click("#lang-switch")
    await expect(page.locator("a[data-tab=alerts]")).to_contain_text("Alerts")
    await expect(row).to_contain_text("run failed")
    await expect(row).to_contain_text("acknowledged (admin)")
    await page.screenshot(path=str(artifacts / "alerts-admin.png"), full_page=True)

    fixed = await system.api.trigger("pipeline_canary", duration_s=0)
    await system.api.wait_for_execution(fixed, {"success"})
    await expect(page.locator("[data-testid=alert-badge]")).to_have_count(0, timeout=20000)
    await page.click("#lang-switch")


async def test_a_viewer_reads_incidents_without_actions(
    system: ConsoleSystem, browser: Any, page_errors: list[str]
) -> None:
    system.add_user(*VIEWER, role="viewer")
    failed = await system.api.trigger("pipeline_canary", duration_s=0, fail=True)
    await system.api.wait_for_execution(failed, {"failed"})
    page = await open_console(browser, system, page_errors)
    await sign_in(page, *VIEWER)
    await expect(page.locator("[data-testid=alert-badge]")).to_have_text("1", timeout=20000)
    await page.click("a[data-tab=alerts]")
    await expect(page.locator("#alerts-view [data-testid=incidents-table] tr[data-incident]")).to_have_count(
        1
    )
    await expect(page.locator("#alerts-view [data-action]")).to_have_count(0)
