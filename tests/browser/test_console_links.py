"""Links: the view, its filters and the open run live in the address (reload-proof, shareable); a link to
a run that does not exist, or with filter values that are not allowed, says so."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.browser.browsing import ConsoleSystem
from tests.browser.browsing import Look
from tests.browser.browsing import expect
from tests.browser.browsing import open_console
from tests.browser.browsing import sign_in
from tests.browser.browsing import text

pytestmark = pytest.mark.e2e


async def test_filters_and_the_open_run_survive_a_reload(
    system: ConsoleSystem, browser: Any, page_errors: list[str], look: Look
) -> None:
    execution_id = await system.api.trigger("pipeline_canary", duration_s=0.2, steps=2)
    await system.api.wait_for_execution(execution_id, {"success"})
    page = await open_console(browser, system, page_errors, look)
    await sign_in(page)
    await page.click("a[data-tab=runs]")
    await page.wait_for_selector("#runs-table table")
    await page.locator("#run-filters [name=status]").select_option("success")
    await page.locator("#run-filters [name=job_id]").select_option("pipeline_canary")
    await page.locator(f"#runs-table tr[data-execution-id='{execution_id}'] [data-role=run-detail]").click()
    await expect(page.locator("dialog[data-testid=run-detail]")).to_be_visible()
    assert (
        f"run={execution_id}" in page.url
        and "status=success" in page.url
        and "job_id=pipeline_canary" in page.url
    )

    await page.reload()
    await expect(page.locator("dialog[data-testid=run-detail]")).to_be_visible()
    await expect(
        page.locator("dialog[data-testid=run-detail] [data-testid=run-timeline] li").first
    ).to_be_visible()
    await expect(page.locator("#run-filters [name=status]")).to_have_value("success")
    await expect(page.locator("#runs-view")).to_be_visible()
    await expect(page.locator(f"#runs-table tr[data-execution-id='{execution_id}']")).to_be_visible()
    await page.locator("dialog[data-testid=run-detail] [data-role=close]").click()
    assert "run=" not in page.url and "status=success" in page.url


async def test_a_link_to_a_missing_run_or_a_bad_filter_says_so(
    system: ConsoleSystem, browser: Any, page_errors: list[str], look: Look
) -> None:
    page = await open_console(browser, system, page_errors, look)
    await sign_in(page)
    await page.goto(system.base_url + "/#runs?status=" + quote("done") + "&run=no-such-run")
    dialog = page.locator("dialog[data-testid=run-detail]")
    await expect(dialog.locator(".form-error")).to_contain_text(
        await text(page, "run.not_found", id="no-such-run")
    )
    await expect(page.locator("#run-filter-error")).to_contain_text("status=done")
    await expect(page.locator("#runs-table table")).to_be_visible()  # the rest of the page works

    # A page beyond the end (an old link): said so, and the last page shown instead of an empty one.
    execution_id = await system.api.trigger("pipeline_canary", duration_s=0, steps=1)
    await system.api.wait_for_execution(execution_id, {"success"})
    await page.goto(system.base_url + "/#runs?offset=100000")
    await expect(page.locator("#run-filter-error")).to_contain_text(
        await text(page, "runs.page_beyond", page=5001, pages=1)
    )
    await expect(page.locator("#runs-table tbody tr[data-execution-id]").first).to_be_visible()
    await expect(page.locator("[data-testid=runs-page]")).to_contain_text(
        await text(page, "runs.page", page=1, pages=1, total=1)
    )
    assert "offset=" not in page.url
