"""The dependency graph view: the catalogue's `after:` jobs drawn in layers with today's state, both
languages, a click through to the job's runs, and a narrow screen without sideways scrolling."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.browsing import ConsoleSystem
from tests.browser.browsing import expect
from tests.browser.browsing import open_console
from tests.browser.browsing import sign_in

pytestmark = pytest.mark.e2e

REVIEW = "market_daily_review"  # after:akshare_historical_sync,baostock_historical_sync


async def test_the_graph_shows_the_review_after_the_historical_syncs(
    system: ConsoleSystem, browser: Any, page_errors: list[str]
) -> None:
    page = await open_console(browser, system, page_errors)
    await sign_in(page)
    await page.click("a[data-tab=dependencies]")
    graph = page.locator("[data-testid=dependency-graph]")
    await expect(graph.locator(f"[data-testid=dep-node-{REVIEW}]")).to_be_visible()
    layers = graph.locator(".dep-layer")
    await expect(layers).to_have_count(2)
    await expect(layers.nth(0).locator("[data-testid=dep-node-akshare_historical_sync]")).to_be_visible()
    await expect(layers.nth(1).locator(f"[data-testid=dep-node-{REVIEW}]")).to_contain_text("今天未运行")
    await expect(graph.locator("svg.dep-edges line")).to_have_count(2)
    await page.click("#lang-switch")
    await expect(graph.locator(f"[data-testid=dep-node-{REVIEW}]")).to_contain_text("no run today")
    await expect(graph.locator(f"[data-testid=dep-node-{REVIEW}]")).to_contain_text(
        "after akshare_historical_sync, baostock_historical_sync"
    )
    await expect(page.locator("#dependencies-view h2")).to_have_text("Job dependencies")
    await graph.locator(f"[data-testid=dep-node-{REVIEW}]").click()
    await expect(page.locator("#runs-view")).to_be_visible()
    assert f"job_id={REVIEW}" in page.url
    await expect(page.locator("#run-filters [name=job_id]")).to_have_value(REVIEW)
    assert page_errors == []


async def test_the_graph_fits_a_narrow_screen(
    system: ConsoleSystem, browser: Any, page_errors: list[str]
) -> None:
    context = await browser.new_context(viewport={"width": 390, "height": 800}, locale="zh-CN")
    context.set_default_timeout(15000)
    page = await context.new_page()
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    await page.goto(system.base_url + "/")
    await sign_in(page)
    await page.goto(system.base_url + "/#dependencies")
    node = page.locator(f"[data-testid=dep-node-{REVIEW}]")
    await expect(node).to_be_visible()
    box = await node.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    assert page_errors == []
