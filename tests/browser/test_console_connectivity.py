"""Connectivity told truthfully: the scheduler's state is "unknown" while the API cannot be reached, and the
banner about it clears itself once the server answers again."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.browsing import ConsoleSystem
from tests.browser.browsing import Look
from tests.browser.browsing import expect
from tests.browser.browsing import open_console
from tests.browser.browsing import sign_in
from tests.browser.browsing import text

pytestmark = pytest.mark.e2e


async def test_the_health_card_says_unknown_while_unreachable_and_the_banner_clears_itself(
    system: ConsoleSystem, browser: Any, page_errors: list[str], look: Look
) -> None:
    page = await open_console(browser, system, page_errors, look)
    await sign_in(page)
    health = page.locator("[data-testid=stat-health] [data-health]")
    await expect(health).not_to_have_attribute("data-health", "unknown")

    system.stop()
    await page.wait_for_selector("body[data-stream='down']")
    await expect(health).to_have_attribute("data-health", "unknown", timeout=10000)
    await expect(page.locator("[data-testid=stat-health]")).to_contain_text(
        await text(page, "health.unknown")
    )
    await expect(page.locator("#banner")).to_be_visible()
    await expect(page.locator("#banner")).to_contain_text(await text(page, "error.0"))

    await system.start_again()
    await page.wait_for_selector("body[data-stream='live']", timeout=30000)
    await expect(page.locator("#banner")).to_be_hidden()
    await expect(health).not_to_have_attribute("data-health", "unknown", timeout=20000)
