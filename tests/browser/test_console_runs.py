"""The console's runs: live progress from the event stream, cancel, mark failed, delete, stream loss."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.browsing import ConsoleSystem
from tests.browser.browsing import Look
from tests.browser.browsing import expect
from tests.browser.browsing import open_console
from tests.browser.browsing import sign_in
from tests.browser.browsing import text

pytestmark = pytest.mark.e2e

# Records every value the progress bar of one run shows, as the page paints it.
WATCH_PROGRESS = """(executionId) => {
  window.progressSeen = [];
  const selector = `#runs-table tr[data-execution-id="${executionId}"] [data-testid=run-progress]`;
  const record = () => {
    const bar = document.querySelector(selector);
    const value = bar === null ? null : Number(bar.getAttribute('aria-valuenow'));
    if (value !== null && window.progressSeen.at(-1) !== value) window.progressSeen.push(value);
  };
  new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true });
  record();
}"""


def run_row(page: Any, execution_id: str) -> Any:
    return page.locator(f"#runs-table tr[data-execution-id='{execution_id}']")


async def open_runs(page: Any) -> None:
    await page.click("a[data-tab=runs]")
    await page.wait_for_selector("#runs-table table")


async def test_trigger_the_canary_and_watch_its_progress_live(
    system: ConsoleSystem, browser: Any, page_errors: list[str], artifacts: Path
) -> None:
    page = await open_console(browser, system, page_errors)
    await sign_in(page)
    await page.locator("#jobs-table tr[data-job-id='pipeline_canary'] [data-action=trigger]").click()
    dialog = page.locator("dialog[data-testid=trigger-dialog]")
    await dialog.locator("[name=kwargs]").fill('{"duration_s": 4, "steps": 8}')
    async with page.expect_response(lambda response: "/trigger" in response.url) as answer:
        await dialog.locator("[data-role=submit]").click()
    execution_id = (await (await answer.value).json())["data"]["execution_id"]
    await open_runs(page)
    row = run_row(page, execution_id)
    await expect(row).to_be_visible()
    await page.evaluate(WATCH_PROGRESS, execution_id)

    reads: list[str] = []
    page.on("request", lambda request: reads.append(request.url) if "/executions" in request.url else None)
    bar = row.locator("[data-testid=run-progress]")
    await page.wait_for_function(
        "() => window.progressSeen.some((value) => value > 0 && value < 100)", timeout=15000
    )
    await expect(row.locator("[data-testid=run-message]")).to_contain_text("canary step")
    await expect(row.locator("[data-testid=run-item]")).to_contain_text("step-")
    await page.screenshot(path=str(artifacts / "runs-live.png"), full_page=True)
    await expect(bar).to_have_attribute("aria-valuenow", "100", timeout=20000)
    await expect(row).to_have_attribute("data-status", "success")

    seen = await page.evaluate("window.progressSeen")
    moving = [value for value in seen if 0 < value < 100]
    assert len(moving) >= 2 and moving == sorted(moving), f"the bar should move step by step: {seen}"
    assert seen[-1] == 100
    assert reads == [], f"progress must be pushed by the stream, not polled: {reads}"

    await row.locator("[data-role=run-detail]").click()
    detail = page.locator("dialog[data-testid=run-detail]")
    timeline = detail.locator("[data-testid=run-timeline]")
    for event_type in ("RunQueued", "JobStarted", "Progress", "JobFinished"):
        await expect(timeline.locator(f"li[data-type={event_type}]").first).to_be_visible()
    await expect(detail.locator("[data-testid=run-status]")).to_have_text("成功")
    await page.screenshot(path=str(artifacts / "run-detail.png"))


async def test_cancel_a_long_canary(system: ConsoleSystem, browser: Any, page_errors: list[str]) -> None:
    page = await open_console(browser, system, page_errors)
    await sign_in(page)
    await open_runs(page)
    execution_id = await system.api.trigger("pipeline_canary", duration_s=120, steps=120)
    row = run_row(page, execution_id)  # appears from RunQueued on the stream
    await expect(row).to_have_attribute("data-status", "running")
    await page.wait_for_function(
        '(id) => Number(document.querySelector(`#runs-table tr[data-execution-id="${id}"] '
        "[data-testid=run-progress]`)?.getAttribute('aria-valuenow')) > 0",
        arg=execution_id,
    )

    await row.locator("[data-action=cancel]").click()
    await expect(row).to_have_attribute("data-status", "cancelled", timeout=30000)
    await expect(row.locator("[data-testid=run-status]")).to_have_text("已取消")
    done = await system.api.data("GET", f"/api/scheduler/executions/{execution_id}")
    assert done["status"] == "cancelled"

    await row.locator("[data-action=delete]").click()
    confirm = page.locator("dialog[data-testid=confirm-dialog]")
    await expect(confirm).to_contain_text(execution_id[:8])
    await confirm.locator("[data-role=confirm]").click()
    await expect(row).to_have_count(0)  # ExecutionDeleted on the stream


async def test_mark_a_run_failed_with_a_reason(
    system: ConsoleSystem, browser: Any, page_errors: list[str], look: Look
) -> None:
    page = await open_console(browser, system, page_errors, look)
    await sign_in(page)
    await open_runs(page)
    execution_id = await system.api.trigger("pipeline_canary", duration_s=120, steps=120)
    row = run_row(page, execution_id)
    await expect(row).to_have_attribute("data-status", "running")

    await row.locator("[data-action=mark-failed]").click()
    dialog = page.locator("dialog[data-testid=mark-failed-dialog]")
    await dialog.locator("[name=reason]").fill("   ")
    await dialog.locator("[data-role=submit]").click()
    await expect(dialog.locator(".form-error")).to_contain_text("1–500")
    await dialog.locator("[name=reason]").fill("数据源维护，人工终止")
    await dialog.locator("[data-role=submit]").click()
    await expect(row).to_have_attribute("data-status", "failed", timeout=30000)

    await row.locator("[data-role=run-detail]").click()
    detail = page.locator("dialog[data-testid=run-detail]")
    await expect(detail.locator("[data-testid=run-error]")).to_contain_text("数据源维护，人工终止")
    marked = detail.locator("li[data-type=ExecutionMarkedFailed]")
    await expect(marked).to_have_attribute("data-outcome", "failed")
    # The worker's own end (cancelled) comes later: greyed out, it changes neither status nor duration.
    finished = detail.locator("li[data-type=JobFinished]")
    await expect(finished).to_have_attribute("data-outcome", "superseded", timeout=30000)
    failed = await text(page, "status.failed")
    await expect(detail.locator("[data-testid=pinned-status] [data-testid=run-status]")).to_have_text(failed)
    await expect(row.locator("[data-testid=run-status]")).to_have_text(failed)
    # One story in every view: the row and the detail show the same duration (mark-failed's moment).
    pinned = detail.locator("[data-testid=pinned-duration] dd")
    await expect(pinned).not_to_have_text("—")
    await expect(row.locator("[data-testid=run-duration]")).to_have_text(await pinned.text_content() or "")
    record = await system.api.data("GET", f"/api/scheduler/executions/{execution_id}")
    assert record["status"] == "failed" and record["execution_time"] is not None


async def test_runs_filters_and_paging(
    system: ConsoleSystem, browser: Any, page_errors: list[str], look: Look
) -> None:
    failing = await system.api.trigger("pipeline_canary", duration_s=0, fail=True)
    await system.api.wait_for_execution(failing, {"failed"})
    for _ in range(21):
        execution_id = await system.api.trigger("pipeline_canary", duration_s=0, steps=1)
    await system.api.wait_for_execution(execution_id, {"success"})
    page = await open_console(browser, system, page_errors, look)
    await sign_in(page)
    await open_runs(page)
    first, second = [await text(page, "runs.page", page=n, pages=2, total=22) for n in (1, 2)]
    await expect(page.locator("[data-testid=runs-page]")).to_have_text(first)
    await expect(page.locator("#runs-table tbody tr[data-execution-id]")).to_have_count(20)
    await page.click("#runs-pager [data-role=next]")
    await expect(page.locator("[data-testid=runs-page]")).to_have_text(second)
    await expect(page.locator("#runs-table tbody tr[data-execution-id]")).to_have_count(2)

    await page.select_option("#run-filters [name=status]", "failed")
    await expect(page.locator("#runs-table tbody tr[data-execution-id]")).to_have_count(1)
    await expect(run_row(page, failing)).to_be_visible()
    await page.select_option("#run-filters [name=status]", "")
    await page.select_option("#run-filters [name=is_manual]", "false")
    await expect(page.locator("#runs-table td.empty")).to_be_visible()  # every run here was manual

    await page.click("#run-filters button[type=reset]")
    await page.fill("#run-filters [name=since]", "2030-01-02T00:00")
    await page.fill("#run-filters [name=until]", "2030-01-01T00:00")
    await page.click("#run-filters button[type=submit]")
    await expect(page.locator("#run-filter-error")).to_contain_text(await text(page, "runs.range_invalid"))


async def test_the_page_says_when_the_stream_drops_and_reconnects(
    system: ConsoleSystem, browser: Any, page_errors: list[str]
) -> None:
    page = await open_console(browser, system, page_errors)
    await sign_in(page)
    await expect(page.locator("#stream-status")).to_have_text("实时")

    system.stop()
    await page.wait_for_selector("body[data-stream='down']")
    await expect(page.locator("#stream-status")).to_contain_text("断开")

    await system.start_again()
    await page.wait_for_selector("body[data-stream='live']", timeout=30000)
    await expect(page.locator("#stream-status")).to_have_text("实时")
    # Live again: a run started after the reconnection still moves in the page.
    await open_runs(page)
    execution_id = await system.api.trigger("pipeline_canary", duration_s=0.5, steps=2)
    await expect(run_row(page, execution_id)).to_have_attribute("data-status", "success")
