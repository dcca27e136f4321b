"""The console and `/docs` under the service's Content-Security-Policy, with no network but the service's
own origin: everything renders, nothing is blocked, nothing is fetched from elsewhere."""

from __future__ import annotations

from typing import Any

from tests.browser.browsing import ConsoleSystem
from tests.browser.browsing import open_console
from tests.browser.browsing import sign_in


def _csp_violations(page: Any) -> list[str]:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


async def test_docs_render_from_the_service_itself(
    browser: Any, system: ConsoleSystem, page_errors: list[str]
) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    violations = _csp_violations(page)
    foreign: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    await page.route("**/*", lambda route: _own_origin_only(route, system.base_url, foreign))
    response = await page.goto(system.base_url + "/docs")
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["x-frame-options"] == "DENY"
    await page.wait_for_selector(".opblock-summary-path[data-path='/api/scheduler/jobs/{job_id}/trigger']")
    assert violations == [] and foreign == []


async def _own_origin_only(route: Any, base_url: str, foreign: list[str]) -> None:
    if route.request.url.startswith(base_url):
        await route.continue_()
    else:
        foreign.append(route.request.url)
        await route.abort()


async def test_the_console_runs_under_its_policy(
    browser: Any, system: ConsoleSystem, page_errors: list[str]
) -> None:
    page = await open_console(browser, system, page_errors)
    violations = _csp_violations(page)
    await page.reload()
    await sign_in(page)
    assert violations == []
