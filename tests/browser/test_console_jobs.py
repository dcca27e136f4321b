"""The console's sign-in, overview and job actions, in headless Chromium against the running system."""

from __future__ import annotations

import os
from collections.abc import Awaitable
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser.browsing import ConsoleSystem
from tests.browser.browsing import Look
from tests.browser.browsing import expect
from tests.browser.browsing import open_console
from tests.browser.browsing import sign_in
from tests.browser.browsing import text
from tests.e2e.harness import ROOT

pytestmark = pytest.mark.e2e

CANARY_ROW = "#jobs-table tr[data-job-id='pipeline_canary']"


async def test_sign_in_and_overview(
    system: ConsoleSystem, browser: Any, page_errors: list[str], artifacts: Path
) -> None:
    page = await open_console(browser, system, page_errors)
    await page.fill("#login-form [name=username]", "admin")
    await page.fill("#login-form [name=password]", "not-the-password")
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("#login-form .form-error")).to_contain_text("用户名或密码错误")

    await sign_in(page)
    assert await page.evaluate("sessionStorage.getItem('scheduler.console.token')") is not None
    stats = await system.api.data("GET", "/api/scheduler/stats")
    await expect(page.locator("[data-testid=stat-total] strong")).to_have_text(str(stats["total_jobs"]))
    await expect(page.locator("[data-testid=stat-paused] strong")).to_have_text(str(stats["paused_jobs"]))
    health = page.locator("[data-testid=stat-health] [data-health]")
    await expect(health).to_have_attribute("data-health", "healthy")
    canary = page.locator(CANARY_ROW)
    await expect(canary).to_contain_text("每 5 分钟")  # interval[0:05:00], readable
    await expect(canary.locator("[data-testid=job-state]")).to_have_text("已暂停")
    await expect(page.locator("#timezone")).to_have_text("时区 UTC+08:00")

    await page.fill("#job-search", "canary")
    await expect(page.locator("#jobs-table tbody tr[data-job-id]")).to_have_count(1)
    await page.fill("#job-search", "no-such-job-anywhere")
    await expect(page.locator("#jobs-table td.empty")).to_be_visible()
    await page.fill("#job-search", "")
    await page.select_option("#job-source", "other")
    await expect(canary).to_be_visible()
    await page.select_option("#job-state", "enabled")
    await expect(canary).to_have_count(0)
    await page.select_option("#job-state", "")
    await page.select_option("#job-source", "")
    await page.screenshot(path=str(artifacts / "overview.png"), full_page=True)

    await page.click("#lang-switch")
    await expect(page.locator("a[data-tab=overview]")).to_have_text("Overview")
    await expect(canary).to_contain_text("every 5 min")
    await page.click("#lang-switch")
    await expect(page.locator("a[data-tab=overview]")).to_have_text("总览")

    await page.click(f"{CANARY_ROW} [data-role=job-detail]")
    detail = page.locator("dialog[data-testid=job-detail]")
    await expect(detail).to_contain_text("interval[0:05:00]")
    await expect(detail).to_contain_text("duration_s")  # the job's default kwargs
    await expect(detail.locator("[data-testid=job-stats]")).to_be_visible()
    await page.screenshot(path=str(artifacts / "job-detail.png"))


ROW_ORDER = "rows => rows.map((row) => row.dataset.jobId)"


async def test_pause_and_resume_a_job(
    system: ConsoleSystem, browser: Any, page_errors: list[str], look: Look
) -> None:
    page = await open_console(browser, system, page_errors, look)
    await sign_in(page)
    canary = page.locator(CANARY_ROW)
    await expect(canary).to_have_attribute("data-paused", "true")
    order = await page.locator("#jobs-table tr[data-job-id]").evaluate_all(ROW_ORDER)

    await canary.locator("[data-action=resume]").click()
    await expect(canary).to_have_attribute("data-paused", "false")  # pushed by JobResumed
    await expect(canary.locator("[data-testid=job-state]")).to_have_text(await text(page, "state.enabled"))
    job = await system.api.data("GET", "/api/scheduler/jobs/pipeline_canary")
    assert job["paused"] is False
    # Acting on a row leaves it where it was (the table is not re-sorted under the operator's hand).
    assert await page.locator("#jobs-table tr[data-job-id]").evaluate_all(ROW_ORDER) == order

    await canary.locator("[data-action=pause]").click()
    await expect(canary).to_have_attribute("data-paused", "true")
    await expect(canary.locator("[data-testid=job-state]")).to_have_text(await text(page, "state.paused"))
    job = await system.api.data("GET", "/api/scheduler/jobs/pipeline_canary")
    assert job["paused"] is True
    assert await page.locator("#jobs-table tr[data-job-id]").evaluate_all(ROW_ORDER) == order


async def test_edit_metadata_is_validated_like_the_api(
    system: ConsoleSystem, browser: Any, page_errors: list[str]
) -> None:
    page = await open_console(browser, system, page_errors)
    await sign_in(page)
    await page.locator(f"{CANARY_ROW} [data-action=edit]").click()
    dialog = page.locator("dialog[data-testid=edit-dialog]")
    await dialog.locator("[name=display_name]").fill("名" * 51)  # 51 characters: one too many
    await expect(dialog.locator(".form-error")).to_contain_text("50")
    await expect(dialog.locator("[data-role=save]")).to_be_disabled()
    await dialog.locator("[name=display_name]").fill("流水线自检")
    await dialog.locator("[name=description]").fill("证" * 201)
    await expect(dialog.locator("[data-role=save]")).to_be_disabled()
    await dialog.locator("[name=description]").fill("手动触发以验证调度流水线")
    await dialog.locator("[data-role=save]").click()
    await expect(dialog).to_have_count(0)
    canary = page.locator(CANARY_ROW)
    await expect(canary).to_contain_text("手动触发以验证调度流水线")  # pushed by JobMetadataUpdated
    job = await system.api.data("GET", "/api/scheduler/jobs/pipeline_canary")
    assert job["display_name"] == "流水线自检"
    # Once set, the display name is the job's name everywhere: its row, its runs, a run's detail.
    await expect(canary).to_contain_text("流水线自检")
    execution_id = await system.api.trigger("pipeline_canary", duration_s=0, steps=1)
    await system.api.wait_for_execution(execution_id, {"success"})
    await page.click("a[data-tab=runs]")
    run = page.locator(f"#runs-table tr[data-execution-id='{execution_id}']")
    await expect(run).to_contain_text("流水线自检")
    await run.locator("[data-role=run-detail]").click()
    await expect(page.locator("dialog[data-testid=run-detail] .run-summary")).to_contain_text("流水线自检")


async def test_trigger_kwargs_are_checked_before_sending(
    system: ConsoleSystem, browser: Any, page_errors: list[str]
) -> None:
    page = await open_console(browser, system, page_errors)
    await sign_in(page)
    triggers: list[str] = []
    page.on("request", lambda request: triggers.append(request.url) if "/trigger" in request.url else None)
    await page.locator(f"{CANARY_ROW} [data-action=trigger]").click()
    dialog = page.locator("dialog[data-testid=trigger-dialog]")
    for kwargs_text, message in (("{duration_s: 1}", "不是有效的 JSON"), ("[1, 2]", "必须是 JSON 对象")):
        await dialog.locator("[name=kwargs]").fill(kwargs_text)
        await dialog.locator("[data-role=submit]").click()
        await expect(dialog.locator(".form-error")).to_contain_text(message)
    assert triggers == []
    await dialog.locator("[name=kwargs]").fill('{"duration_s": 0.2, "steps": 2}')
    await dialog.locator("[name=force]").check()
    await dialog.locator("[data-role=submit]").click()
    await expect(dialog).to_have_count(0)
    assert len(triggers) == 1 and "force=true" in triggers[0]


# The datetime-local value of a moment `seconds` from now, in the browser's own time zone.
LOCAL_MOMENT = """(seconds) => {
  const moment = new Date(Date.now() + seconds * 1000);
  const pad = (n) => String(n).padStart(2, '0');
  return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}T`
    + `${pad(moment.getHours())}:${pad(moment.getMinutes())}:${pad(moment.getSeconds())}`;
}"""


async def test_run_once_at_plans_a_one_off_run(
    system: ConsoleSystem, browser: Any, page_errors: list[str]
) -> None:
    page = await open_console(browser, system, page_errors)
    await sign_in(page)
    await page.locator(f"{CANARY_ROW} [data-action=trigger]").click()
    dialog = page.locator("dialog[data-testid=trigger-dialog]")
    await dialog.locator("[name=run_at]").fill(await page.evaluate(LOCAL_MOMENT, -60))
    await dialog.locator("[data-role=submit]").click()
    await expect(dialog.locator(".form-error")).to_contain_text("须在未来")
    await dialog.locator("[name=run_at]").fill(await page.evaluate(LOCAL_MOMENT, 3600))
    async with page.expect_response(lambda response: "/trigger" in response.url) as answer:
        await dialog.locator("[data-role=submit]").click()
    body = await (await answer.value).json()
    await expect(dialog).to_have_count(0)
    execution = await system.api.wait_for_execution(body["data"]["execution_id"], {"scheduled"})
    assert execution["is_manual"] is True


async def test_an_expired_session_goes_back_to_sign_in(
    system: ConsoleSystem, browser: Any, page_errors: list[str]
) -> None:
    page = await open_console(browser, system, page_errors)
    await page.evaluate("sessionStorage.setItem('scheduler.console.token', 'not-a-valid-token')")
    await page.reload()
    await expect(page.locator("#login-view")).to_be_visible()
    await expect(page.locator("#login-form .form-error")).to_contain_text("登录已失效")
    assert await page.evaluate("sessionStorage.getItem('scheduler.console.token')") is None


async def test_overview_with_runs_and_charts(
    system: ConsoleSystem, browser: Any, page_errors: list[str], artifacts: Path
) -> None:
    """The screenshot for the README: set CONSOLE_DOCS_SCREENSHOT=1 to write docs/console.png too."""
    runs: list[dict[str, Any]] = [
        {"duration_s": 0.3, "steps": 3},
        {"duration_s": 0.6, "steps": 3},
        {"duration_s": 0.1, "fail": True},
        {"duration_s": 0.4, "steps": 2},
        {"duration_s": 0.2, "steps": 2},
    ]
    for kwargs in runs:
        execution_id = await system.api.trigger("pipeline_canary", **kwargs)
        await system.api.wait_for_execution(execution_id, {"success", "failed"})
    page = await open_console(browser, system, page_errors)
    await sign_in(page)
    # One duration row per job (percentiles over 14 days, from the API): the canary's five runs in it.
    canary_durations = page.locator("[data-testid=chart-durations] rect[data-job-id=pipeline_canary] title")
    await expect(canary_durations).to_contain_text("5 次")
    failed = page.locator("[data-testid=chart-outcomes] rect.bar-failed")
    await expect(failed).not_to_have_count(0)
    assert sum([int(await bar.get_attribute("data-count") or 0) for bar in await failed.all()]) == 1
    await expect(page.locator(f"{CANARY_ROW} .last-run")).to_have_attribute("data-status", "success")
    await page.screenshot(path=str(artifacts / "overview-with-runs.png"), full_page=True)
    if os.environ.get("CONSOLE_DOCS_SCREENSHOT") == "1":
        await page.screenshot(path=str(ROOT / "docs" / "console.png"), full_page=True)


def answer(status: int, detail: str) -> Callable[[Any], Awaitable[None]]:
    """A route handler that answers as the API does when it refuses: `{detail}` with the status."""

    async def fulfill(route: Any) -> None:
        await route.fulfill(status=status, json={"detail": detail})

    return fulfill


async def test_api_errors_are_shown_in_the_page(
    system: ConsoleSystem, browser: Any, page_errors: list[str]
) -> None:
    page = await open_console(browser, system, page_errors)
    await sign_in(page)
    canary = page.locator(CANARY_ROW)
    failures = {
        "**/jobs/pipeline_canary/resume": (503, "消息总线不可用，命令未发送，请稍后重试"),
        "**/jobs/pipeline_canary/metadata": (403, "需要管理员权限"),
        "**/jobs/pipeline_canary/trigger*": (422, "查询参数 force: Input should be a valid boolean"),
    }
    for pattern, (status, detail) in failures.items():
        await page.route(pattern, answer(status, detail))

    await canary.locator("[data-action=resume]").click()
    banner = page.locator("#banner")
    await expect(banner).to_contain_text("服务暂不可用：消息总线不可用，命令未发送，请稍后重试")
    await expect(canary).to_have_attribute("data-paused", "true")  # nothing changed, nothing stuck
    await expect(canary.locator("[data-action=resume]")).to_be_enabled()
    await banner.locator(".banner-close").click()

    await canary.locator("[data-action=edit]").click()
    dialog = page.locator("dialog[data-testid=edit-dialog]")
    await dialog.locator("[name=display_name]").fill("新名称")
    await dialog.locator("[data-role=save]").click()
    await expect(dialog.locator(".form-error")).to_have_text("权限不足（需要管理员）：需要管理员权限")
    await dialog.locator("[data-role=close]").click()

    await canary.locator("[data-action=trigger]").click()
    dialog = page.locator("dialog[data-testid=trigger-dialog]")
    await dialog.locator("[data-role=submit]").click()
    await expect(dialog.locator(".form-error")).to_contain_text("参数无效：查询参数 force")
    await dialog.locator("[data-role=close]").click()

    await page.route("**/jobs/pipeline_canary", answer(404, "任务 pipeline_canary 不存在"))
    await canary.locator("[data-role=job-detail]").click()
    detail = page.locator("dialog[data-testid=job-detail]")
    await expect(detail.locator(".form-error")).to_have_text("未找到：任务 pipeline_canary 不存在")
