"""The console reloads right after a command and sees its effect; partial runs shown and filtered.

The live stream is cut off after signing in, so what a page shows after a reload comes from the reload's
own reads only: the state a command answered "applied" for must be in them at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.browsing import SERVER_MODULE
from tests.browser.browsing import ConsoleSystem
from tests.browser.browsing import expect
from tests.browser.browsing import open_console
from tests.browser.browsing import sign_in
from tests.e2e.harness import ApiClient
from tests.e2e.harness import ServiceProcess
from tests.e2e.harness import base_env
from tests.e2e.harness import free_port
from tests.e2e.harness import running

pytestmark = pytest.mark.e2e

CANARY_ROW = "#jobs-table tr[data-job-id='pipeline_canary']"
LONG = {"duration_s": 120, "steps": 120}


@pytest.fixture
async def one_run_system(tmp_path: Path, chromium_path: Path) -> AsyncIterator[ConsoleSystem]:
    """The embedded system whose worker runs one run at a time (a second one waits in the queue)."""
    port = free_port()
    env = base_env(tmp_path / "data", SCHEDULER_PORT=str(port), SCHEDULER_WORKER_CAPACITY="1")
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


async def command_then_reload(page: Any, click: Any, path_end: str) -> None:
    """Click a command's button, check it answered "applied" (200), reload the page at once."""
    async with page.expect_response(
        lambda response: response.request.method != "GET" and response.url.split("?")[0].endswith(path_end)
    ) as answer:
        await click()
    response = await answer.value
    assert response.status == 200, await response.text()
    await page.reload()


async def attribute_now(page: Any, selector: str, name: str) -> str:
    """The attribute as the first render after the reload shows it (no waiting for it to change)."""
    await page.wait_for_selector(selector)
    value: str = await page.locator(selector).get_attribute(name)
    return value


async def trigger(system: ConsoleSystem, **kwargs: Any) -> str:
    path = "/api/scheduler/jobs/pipeline_canary/trigger"
    data = await system.api.data("POST", path, params={"force": "true"}, json={"kwargs": kwargs})
    execution_id: str = data["execution_id"]
    return execution_id


async def test_each_reload_right_after_a_command_shows_it(
    one_run_system: ConsoleSystem, browser: Any, page_errors: list[str]
) -> None:
    system = one_run_system
    page = await open_console(browser, system, page_errors)
    await sign_in(page)
    await page.route("**/api/scheduler/stream**", lambda route: route.abort())

    canary = page.locator(CANARY_ROW)
    await command_then_reload(page, canary.locator("[data-action=resume]").click, "/pipeline_canary/resume")
    assert await attribute_now(page, CANARY_ROW, "data-paused") == "false"
    await command_then_reload(page, canary.locator("[data-action=pause]").click, "/pipeline_canary/pause")
    assert await attribute_now(page, CANARY_ROW, "data-paused") == "true"

    busy = await trigger(system, **LONG)
    waiting = await trigger(system, **LONG)
    await page.goto(system.base_url + "/#runs")
    waiting_row = f"#runs-table tr[data-execution-id='{waiting}']"
    busy_row = f"#runs-table tr[data-execution-id='{busy}']"
    assert await attribute_now(page, waiting_row, "data-status") == "queued"

    cancel_waiting = page.locator(f"{waiting_row} [data-action=cancel]").click
    await command_then_reload(page, cancel_waiting, f"/{waiting}/cancel")
    assert await attribute_now(page, waiting_row, "data-status") == "cancelled"
    await expect(page.locator(f"{waiting_row} [data-testid=run-status]")).to_have_text("已取消")

    await command_then_reload(page, page.locator(f"{busy_row} [data-action=cancel]").click, f"/{busy}/cancel")
    # A running run stops at its job's next check point: the reload shows it cancelled or being cancelled.
    status = await attribute_now(page, busy_row, "data-status")
    status_cell = await page.locator(f"{busy_row} [data-testid=run-status]").locator("..").inner_text()
    assert status == "cancelled" or (status == "running" and "正在取消" in status_cell), (status, status_cell)
    assert await page.locator(f"{busy_row} [data-action=cancel]").count() == 0


async def test_a_partial_run_is_shown_and_filtered(
    one_run_system: ConsoleSystem, browser: Any, page_errors: list[str]
) -> None:
    system = one_run_system
    partial = await trigger(system, duration_s=0, steps=1, partial=True)
    done = await system.api.wait_for_execution(partial, {"partial", "success", "failed"})
    assert done["status"] == "partial"
    succeeded = await trigger(system, duration_s=0, steps=1)
    await system.api.wait_for_execution(succeeded, {"success"})

    page = await open_console(browser, system, page_errors)
    await sign_in(page)
    await page.click("a[data-tab=runs]")
    row = page.locator(f"#runs-table tr[data-execution-id='{partial}']")
    await expect(row).to_have_attribute("data-status", "partial")
    await expect(row.locator("[data-testid=run-status]")).to_have_text("部分完成")
    await page.select_option("#run-filters [name=status]", "partial")
    await expect(page.locator("#runs-table tbody tr[data-execution-id]")).to_have_count(1)
    await expect(row).to_be_visible()
