"""Bulk actions and the shared session in headless Chromium, both languages, at 1440×900 and 390×844:
runs selected by checkbox or as "all matching the filter", deleted after one confirmation that focuses the
safe choice (a running run skipped and said so), the bulk bar, the confirmation and the retention dialog
fitting the screen; the retention command deleting one job's finished runs due before a moment (a running
one skipped); a new tab of the same profile signed in without a second sign-in, and signing out in one tab
signs out the other."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from typing import Any

import pytest

from tests.browser.browsing import ConsoleSystem
from tests.browser.browsing import expect
from tests.browser.browsing import sign_in
from tests.browser.test_console_layout import SIZES
from tests.browser.test_console_layout import assert_fits

pytestmark = pytest.mark.e2e
TEXTS = {
    "zh": {
        "selected": "已选 {count} 条",
        "all": "选择全部符合筛选的 {count} 条",
        "done": "批量删除已提交",
        "skipped": "跳过 1 条",
    },
    "en": {
        "selected": "{count} selected",
        "all": "Select all {count} matching the filter",
        "done": "Bulk delete sent",
        "skipped": "1 skipped",
    },
}


async def _console(browser: Any, system: ConsoleSystem, errors: list[str], size: str, language: str) -> Any:
    width, height = SIZES[size]
    context = await browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    await context.add_init_script(f"localStorage.setItem('scheduler.console.lang', '{language}')")
    context.set_default_timeout(15000)
    page = await context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(system.base_url + "/")
    return context, page


async def _finished_runs(system: ConsoleSystem, count: int) -> list[str]:
    runs = [await system.api.trigger("pipeline_canary", duration_s=0.05, steps=1) for _ in range(count)]
    for execution_id in runs:
        await system.api.wait_for_execution(execution_id, {"success"})
    return runs


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
async def test_bulk_select_and_delete(
    system: ConsoleSystem, browser: Any, page_errors: list[str], size: str, language: str
) -> None:
    texts = TEXTS[language]
    finished = await _finished_runs(system, 4)
    running = await system.api.trigger("pipeline_canary", duration_s=60, steps=60)
    await system.api.wait_for_execution(running, {"running"})
    context, page = await _console(browser, system, page_errors, size, language)
    await sign_in(page)
    await page.goto(system.base_url + "/#runs?job_id=pipeline_canary")
    await page.reload()
    rows = page.locator("#runs-table tbody tr[data-execution-id]")
    await expect(rows).to_have_count(5)
    bar = page.locator("[data-testid=runs-bulk]")
    await expect(bar.locator("[data-testid=bulk-count]")).to_have_text(texts["selected"].format(count=0))
    await assert_fits(page, f"{size}-{language} runs with the bulk bar")
    # The retention dialog fits as well (opened, checked, closed).
    await bar.locator("[data-role=retention]").click()
    retention = page.locator("dialog[data-testid=retention-dialog]")
    await expect(retention.locator("[name=before]")).to_be_visible()
    await assert_fits(page, f"{size}-{language} retention dialog")
    await retention.locator("[data-role=close]").click()
    await expect(retention).to_have_count(0)

    # Two rows by their checkboxes: one confirmation, the safe choice focused, then both gone.
    for execution_id in finished[:2]:
        await page.locator(f"[data-role=select-run][data-execution-id='{execution_id}']").check()
    await expect(bar.locator("[data-testid=bulk-count]")).to_have_text(texts["selected"].format(count=2))
    await bar.locator("[data-role=bulk-delete]").click()
    confirm = page.locator("dialog[data-testid=confirm-dialog]")
    await expect(confirm).to_be_visible()
    await expect(confirm.locator("[data-role=close]")).to_be_focused()
    await assert_fits(page, f"{size}-{language} bulk confirmation")
    await confirm.locator("[data-role=confirm]").click()
    await expect(page.locator(".toast", has_text=texts["done"]).first).to_be_visible()
    await expect(rows).to_have_count(3)

    # Every run matching the filter: the running one is skipped (and counted), the finished ones deleted.
    await expect(bar.locator("[data-role=select-all]")).to_have_text(texts["all"].format(count=3))
    await bar.locator("[data-role=select-all]").click()
    await expect(bar.locator("[data-testid=bulk-count]")).to_have_text(texts["selected"].format(count=3))
    await expect(page.locator("[data-role=select-run]").first).to_be_disabled()
    await bar.locator("[data-role=bulk-delete]").click()
    await page.locator("dialog[data-testid=confirm-dialog] [data-role=confirm]").click()
    toast = page.locator(".toast", has_text=texts["done"]).last
    await expect(toast).to_contain_text(texts["skipped"])
    await expect(rows).to_have_count(1)
    await expect(page.locator(f"#runs-table tr[data-execution-id='{running}']")).to_be_visible()
    await system.api.data("POST", f"/api/scheduler/executions/{running}/cancel")
    await context.close()


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
async def test_a_new_tab_shares_the_session_and_signing_out_ends_every_tab(
    system: ConsoleSystem, browser: Any, page_errors: list[str], size: str, language: str
) -> None:
    context, first = await _console(browser, system, page_errors, size, language)
    await sign_in(first)

    second = await context.new_page()
    second.on("pageerror", lambda error: page_errors.append(str(error)))
    await second.goto(system.base_url + "/")
    await expect(second.locator("#jobs-table tr[data-job-id='pipeline_canary']")).to_be_visible()
    await expect(second.locator("#login-view")).to_be_hidden()
    # The refresh token stays with the tab that signed in; the new tab holds an access token only.
    assert await second.evaluate("sessionStorage.getItem('scheduler.console.refresh')") is None
    assert await second.evaluate("sessionStorage.getItem('scheduler.console.token')")

    # Its access token goes bad: the signed-in tab refreshes and hands over a fresh one.
    await second.evaluate("sessionStorage.setItem('scheduler.console.token', 'expired.access.token')")
    async with second.expect_response(
        lambda response: "/api/scheduler/executions" in response.url and response.ok
    ) as listed:
        await second.click("[data-tab=runs]")
    await expect(second.locator("#runs-view")).to_be_visible()
    assert (await listed.value).status == 200
    await expect(second.locator("#login-view")).to_be_hidden()
    assert (
        await second.evaluate("sessionStorage.getItem('scheduler.console.token')") != "expired.access.token"
    )
    await assert_fits(second, f"{size}-{language} second tab")

    await second.click("#logout")
    await expect(second.locator("#login-view")).to_be_visible()
    await expect(first.locator("#login-view")).to_be_visible()
    assert await first.evaluate("sessionStorage.getItem('scheduler.console.refresh')") is None

    # With no tab signed in, a new one asks to sign in.
    third = await context.new_page()
    await third.goto(system.base_url + "/")
    await expect(third.locator("#login-view")).to_be_visible()
    await context.close()


async def test_the_retention_command_deletes_a_jobs_finished_runs_due_before_a_moment(
    system: ConsoleSystem, browser: Any, page_errors: list[str]
) -> None:
    finished = await _finished_runs(system, 3)
    last = await system.api.wait_for_execution(finished[-1], {"success"})
    running = await system.api.trigger("pipeline_canary", duration_s=60, steps=60)
    await system.api.wait_for_execution(running, {"running"})
    context, page = await _console(browser, system, page_errors, "desktop", "zh")
    await sign_in(page)
    await page.goto(system.base_url + "/#runs?job_id=pipeline_canary")
    rows = page.locator("#runs-table tbody tr[data-execution-id]")
    await expect(rows).to_have_count(4)

    await page.locator("[data-testid=runs-bulk] [data-role=retention]").click()
    dialog = page.locator("dialog[data-testid=retention-dialog]")
    await dialog.locator("[data-role=submit]").click()  # no moment yet: said so, nothing sent
    await expect(dialog.locator(".form-error")).to_contain_text("请选择任务和有效的时间")
    await expect(dialog.locator("[name=job_id]")).to_have_value("pipeline_canary")
    # A minute after the last finished run was due, in the wall-clock time of the runs' own offset.
    due = datetime.fromisoformat(last["scheduled_time"]) + timedelta(minutes=1)
    await dialog.locator("[name=before]").fill(due.strftime("%Y-%m-%dT%H:%M"))
    await dialog.locator("[data-role=submit]").click()
    await expect(dialog).to_have_count(0)
    await expect(page.locator(".toast", has_text="跳过 1 条").last).to_be_visible(timeout=30000)
    await expect(rows).to_have_count(1)
    await expect(page.locator(f"#runs-table tr[data-execution-id='{running}']")).to_be_visible()
    for execution_id in finished:
        gone = await system.api.http.get(f"/api/scheduler/executions/{execution_id}")
        assert gone.status_code == 404, (execution_id, gone.status_code)
    await system.api.data("POST", f"/api/scheduler/executions/{running}/cancel")
    await context.close()
