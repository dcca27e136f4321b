"""The overview in a handful of requests with charts the API aggregates, and the runs filtered by the API;
in both languages, at 1440×900 and 390×844."""

from __future__ import annotations

import time
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.browsing import ConsoleSystem
from tests.browser.browsing import Look
from tests.browser.browsing import expect
from tests.browser.browsing import open_console
from tests.browser.browsing import sign_in

pytestmark = pytest.mark.e2e


async def test_the_overview_loads_in_a_handful_of_requests_and_draws_the_apis_aggregates(
    system: ConsoleSystem, browser: Any, page_errors: list[str], artifacts: Path, look: Look
) -> None:
    execution_id = await system.api.trigger("pipeline_canary", duration_s=0.2, steps=2)
    await system.api.wait_for_execution(execution_id, {"success"})
    page = await open_console(browser, system, page_errors, look)
    await sign_in(page)
    await page.goto("about:blank")  # then a full load, signed in: what an operator opening the console sees
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url) if "/api/" in request.url else None)
    started = time.monotonic()
    await page.goto(system.base_url + "/#overview")
    await page.wait_for_selector("#jobs-table tr[data-job-id='pipeline_canary']")
    first_table_s = time.monotonic() - started
    await page.wait_for_selector("[data-testid=chart-outcomes]")
    reads = [url for url in requests if "/api/scheduler/" in url and "/stream" not in url]

    assert not any("/execution-stats" in url for url in reads), reads
    assert sum("/execution-summary" in url for url in reads) == 1, reads
    assert len(reads) <= 7, reads  # jobs, stats, health, summary, running, queued, the alerts badge
    summary = await system.api.data("GET", "/api/scheduler/execution-summary")
    chart = page.locator("[data-testid=chart-outcomes]")
    hourly_total = sum(window["total"] for window in summary["hourly"]["windows"])
    await expect(chart).to_have_attribute("data-unit", "hour")
    assert int(await chart.get_attribute("data-total") or 0) >= hourly_total >= 1
    await page.click("#chart-outcomes [data-unit=day]")
    await expect(chart).to_have_attribute("data-unit", "day")
    durations = page.locator("[data-testid=chart-durations] rect[data-job-id='pipeline_canary']")
    await expect(durations).to_have_count(1)
    await expect(page.locator("#jobs-table tr[data-job-id='pipeline_canary'] .last-run")).to_be_visible()
    await page.screenshot(path=str(artifacts / f"overview-aggregates-{look.id}.png"), full_page=True)
    (artifacts / f"overview-measurements-{look.id}.txt").write_text(
        f"overview API requests (stream excluded): {len(reads)}\n"
        f"time to first table after navigation: {first_table_s * 1000:.0f} ms\n",
        encoding="utf-8",
    )


async def test_runs_filtered_by_time_are_found_on_any_page(
    system: ConsoleSystem, browser: Any, page_errors: list[str], look: Look
) -> None:
    execution_id = await system.api.trigger("pipeline_canary", duration_s=0.2, steps=2)
    run = await system.api.wait_for_execution(execution_id, {"success"})
    scheduled = datetime.fromisoformat(run["scheduled_time"])
    page = await open_console(browser, system, page_errors, look)
    await sign_in(page)
    await page.click("a[data-tab=runs]")
    await page.wait_for_selector("#runs-table table")
    form = page.locator("#run-filters")
    local = "%Y-%m-%dT%H:%M"  # the inputs read wall-clock time at the display offset (the run's own)
    await form.locator("[name=since]").fill((scheduled - timedelta(minutes=1)).strftime(local))
    await form.locator("[name=until]").fill((scheduled + timedelta(minutes=2)).strftime(local))
    await form.locator("[name=is_manual]").select_option("true")
    async with page.expect_response(lambda response: "since=" in response.url) as answer:
        await form.locator("button[type=submit]").click()
    sent = (await answer.value).url

    assert "until=" in sent and "time_field=scheduled" in sent and "is_manual=true" in sent
    await expect(page.locator(f"#runs-table tr[data-execution-id='{execution_id}']")).to_be_visible()
    page_text = await page.locator("[data-testid=runs-page]").inner_text()
    total = (await (await answer.value).json())["data"]["total"]
    assert str(total) in page_text and total >= 1

    await form.locator("[name=since]").fill((scheduled + timedelta(minutes=5)).strftime(local))
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#run-filter-error")).to_be_visible()
