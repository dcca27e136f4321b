"""The console's session in headless Chromium: JSON sign-in, a 401 answered by one refresh (then the call
again), and a sign-out that revokes the tokens on the server."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.browser.browsing import ConsoleSystem
from tests.browser.browsing import expect
from tests.browser.browsing import open_console
from tests.browser.browsing import sign_in

pytestmark = pytest.mark.e2e


async def test_refresh_on_401_then_sign_out_revokes(
    system: ConsoleSystem, browser: Any, page_errors: list[str]
) -> None:
    page = await open_console(browser, system, page_errors)
    bodies: list[str] = []
    page.on(
        "request",
        lambda request: bodies.append(request.post_data or "") if "/auth/login" in request.url else None,
    )
    await sign_in(page)
    assert bodies and bodies[0].startswith("{")  # JSON, as the platform's client signs in
    first_refresh = await page.evaluate("sessionStorage.getItem('scheduler.console.refresh')")
    assert first_refresh

    # The access token goes bad (as after a quiet quarter of an hour): the next call refreshes and succeeds.
    await page.evaluate("sessionStorage.setItem('scheduler.console.token', 'expired.access.token')")
    async with page.expect_response(lambda response: "/api/auth/refresh" in response.url) as refresh:
        await page.click("[data-tab=runs]")
    assert (await refresh.value).status == 200
    await expect(page.locator("#runs-view")).to_be_visible()
    await expect(page.locator("#login-view")).to_be_hidden()
    token = await page.evaluate("sessionStorage.getItem('scheduler.console.token')")
    assert token != "expired.access.token"
    assert await page.evaluate("sessionStorage.getItem('scheduler.console.refresh')") != first_refresh

    await page.click("#logout")
    await expect(page.locator("#login-view")).to_be_visible()
    assert await page.evaluate("sessionStorage.getItem('scheduler.console.token')") is None
    async with httpx.AsyncClient(base_url=system.base_url) as http:
        after = await http.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert after.status_code == 401 and after.json()["success"] is False
