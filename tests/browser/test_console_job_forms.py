"""The console's create form of jobs as data, in headless Chromium: fields from the kind's parameter schema,
the next-runs preview of the trigger being typed (and why a bad one cannot be used), then the new job listed,
edited through its definition form and deleted."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.browsing import ConsoleSystem
from tests.browser.browsing import expect
from tests.browser.browsing import open_console
from tests.browser.browsing import sign_in

pytestmark = pytest.mark.e2e

FORM = "dialog[data-testid=job-form]"
ROW = "#jobs-table tr[data-job-id='canary_from_form']"


async def test_create_form_with_its_preview(
    system: ConsoleSystem, browser: Any, page_errors: list[str]
) -> None:
    page = await open_console(browser, system, page_errors)
    await sign_in(page)
    await page.click("#job-create")
    form = page.locator(FORM)
    await expect(form.locator("select[name=kind]")).to_be_visible()
    await form.locator("select[name=kind]").select_option("pipeline_canary")
    parameters = form.locator("[data-testid=job-parameters]")
    await expect(parameters.locator("[name='kw.duration_s']")).to_be_visible()  # from the kind's schema
    await expect(parameters.locator("[name='kw.fail'][type=checkbox]")).to_be_visible()

    await form.locator("input[name=trigger]").fill("61 * * * *")
    preview = form.locator("[data-testid=trigger-preview]")
    await expect(preview.locator("[data-role=preview-error]")).to_contain_text("61")
    await form.locator("input[name=trigger]").fill("0 16 * * 1-5")
    await expect(preview.locator("[data-role=description]")).to_contain_text("工作日")
    await expect(preview.locator("[data-role=next-runs] li")).to_have_count(5)
    await form.locator("select[name='policy.calendar']").select_option("cn_a_share")  # trading days only
    await expect(preview.locator("[data-role=description]")).to_contain_text("cn_a_share")

    await form.locator("input[name=id]").fill("canary_from_form")
    await parameters.locator("[name='kw.steps']").fill("2")
    await form.locator("[data-role=save]").click()
    await expect(form).to_have_count(0)
    await expect(page.locator(ROW)).to_be_visible(timeout=15_000)
    definition = await system.api.data("GET", "/api/scheduler/jobs/canary_from_form/definition")
    assert definition["trigger"] == "0 16 * * 1-5" and definition["kwargs"]["steps"] == 2
    assert definition["policy"]["calendar"] == "cn_a_share"

    await page.click(f"{ROW} [data-role=job-detail]")
    await page.click("dialog[data-testid=job-detail] [data-role=edit-definition]")
    await expect(form.locator("input[name=trigger]")).to_have_value("0 16 * * 1-5")
    await form.locator("input[name=trigger]").fill("30 9 * * *")
    await expect(preview.locator("[data-role=next-runs] li")).to_have_count(5)
    await form.locator("[data-role=save]").click()
    await expect(form).to_have_count(0)
    changed = await system.api.data("GET", "/api/scheduler/jobs/canary_from_form/definition")
    assert changed["trigger"] == "30 9 * * *" and changed["version"] == 2

    await page.click(f"{ROW} [data-role=job-detail]")
    await page.click("dialog[data-testid=job-detail] [data-role=edit-definition]")
    await form.locator("[data-role=delete-job]").click()
    await page.click("dialog[data-testid=confirm-dialog] [data-role=confirm]")
    await expect(page.locator(ROW)).to_have_count(0, timeout=15_000)
    assert page_errors == []
