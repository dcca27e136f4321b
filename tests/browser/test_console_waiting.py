"""The console shows a fire waiting for its upstream jobs (`policy.after`): the runs filter offers the
`waiting` status, the row is labelled, and the run detail says what it waits for and until when. The job
waits for a data-sync job that never runs here (they are paused), then is deleted again."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.browsing import ConsoleSystem
from tests.browser.browsing import expect
from tests.browser.browsing import open_console
from tests.browser.browsing import sign_in
from tests.waiting import wait_until

pytestmark = pytest.mark.e2e

JOB = "console_waiter"
UPSTREAM = "akshare_historical_sync"


async def test_a_waiting_fire_is_labelled_with_what_it_waits_for(
    system: ConsoleSystem, browser: Any, page_errors: list[str]
) -> None:
    body = {
        "id": JOB,
        "kind": "pipeline_canary",
        "trigger": "interval:10",
        "kwargs": {"duration_s": 0, "steps": 1},
        "policy": {"after": [UPSTREAM], "wait_timeout_s": 3600, "overlap": "skip"},
    }
    created = await system.api.http.post("/api/scheduler/jobs", json=body)
    assert created.status_code in (201, 202), created.text
    found: list[str] = []
    try:

        async def waits() -> bool:
            params = {"job_id": JOB, "status": "waiting"}
            page = await system.api.data("GET", "/api/scheduler/executions", params=params)
            found[:] = [item["_id"] for item in page["items"]]
            return bool(found)

        await wait_until(waits, timeout=60, interval=0.2, message=f"a fire of {JOB} to wait")
        page = await open_console(browser, system, page_errors)
        await sign_in(page)
        await page.click("a[data-tab=runs]")
        await page.wait_for_selector("#runs-table table")
        await page.locator("#run-filters [name=status]").select_option("waiting")
        await page.locator("#run-filters [name=job_id]").select_option(JOB)
        row = page.locator(f"#runs-table tr[data-execution-id='{found[0]}']")
        await expect(row).to_contain_text("等待上游")
        await row.locator("[data-role=run-detail]").click()
        detail = page.locator("dialog[data-testid=run-detail]")
        await expect(detail).to_contain_text("等待的上游任务")
        await expect(detail).to_contain_text(UPSTREAM)
        await expect(detail).to_contain_text("最迟等到")
    finally:
        deleted = await system.api.http.delete(f"/api/scheduler/jobs/{JOB}")
        assert deleted.status_code in (200, 202), deleted.text
